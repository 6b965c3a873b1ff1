/* sync.c: sending and receiving the create-time messages listed in sync.h. */
#include "sync.h"

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"

const char *sync_type_name(enum sync_type type) {
  switch (type) {
  case SYNC_LOG: return "log";
  case SYNC_ERROR: return "error";
  case SYNC_MAPS_DONE: return "maps-done";
  case SYNC_MOUNTS_DONE: return "mounts-done";
  case SYNC_HOOKS_DONE: return "hooks-done";
  case SYNC_CREATED: return "created";
  case SYNC_EXEC_PID: return "exec-pid";
  case SYNC_RECORDED: return "recorded";
  default: return "unknown";
  }
}

int sync_pair(int fds[2], struct husk_error **err) {
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
    return husk_error_sys(err, "socketpair");
  return 0;
}

static void send_log_record(int fd, enum log_level level, const char *text) {
  sync_send(fd, SYNC_LOG, (int)level, text, strlen(text), NULL);
}

void sync_forward_logs(int fd) { log_forward(send_log_record, fd); }

struct sync_header {
  uint32_t type;
  int32_t code;
};

int sync_send(int fd, enum sync_type type, int code, const void *data, size_t len,
              struct husk_error **err) {
  if (len > SYNC_MAX_PAYLOAD)
    len = SYNC_MAX_PAYLOAD;
  struct sync_header h = {.type = type, .code = code};
  struct iovec iov[2] = {{&h, sizeof(h)}, {(void *)data, len}};
  struct msghdr mh = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};
  ssize_t r;
  do
    r = sendmsg(fd, &mh, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return husk_error_sys(err, "send %s message", sync_type_name(type));
  return 0;
}

static int sync_recv(int fd, struct sync_msg *msg, struct husk_error **err) {
  struct sync_header h;
  struct iovec iov[2] = {{&h, sizeof(h)}, {msg->data, SYNC_MAX_PAYLOAD}};
  struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
  ssize_t r;
  do
    r = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return husk_error_sys(err, "receive from container init");
  if (r == 0)
    return husk_error_set(err, EPIPE, "container init exited before it was created");
  if ((size_t)r < sizeof(h))
    return husk_error_set(err, EPROTO, "short message from container init");
  msg->type = h.type;
  msg->code = h.code;
  msg->len = (uint32_t)((size_t)r - sizeof(h));
  msg->data[msg->len] = '\0';
  return 0;
}

int sync_expect(int fd, enum sync_type want, struct husk_error **err) {
  return sync_expect_data(fd, want, NULL, err);
}

int sync_expect_data(int fd, enum sync_type want, char **ret_data, struct husk_error **err) {
  _cleanup_free_ struct sync_msg *msg = xmalloc(sizeof(*msg));
  for (;;) {
    int r = sync_recv(fd, msg, err);
    if (r < 0)
      return r;
    if (msg->type == SYNC_LOG) {
      log_emit((enum log_level)msg->code, msg->data);
      continue;
    }
    if (msg->type == SYNC_ERROR)
      return husk_error_set(err, msg->code > 0 ? msg->code : EIO, "%s", msg->data);
    if (msg->type != want)
      return husk_error_set(err, EPROTO, "expected %s from container init, got %s",
                            sync_type_name(want), sync_type_name(msg->type));
    if (ret_data)
      *ret_data = msg->len ? xstrdup(msg->data) : NULL;
    return 0;
  }
}

_Noreturn void sync_fail(int fd, struct husk_error *err) {
  const char *text = err ? err->message : "container init failed";
  sync_send(fd, SYNC_ERROR, err ? err->code : EIO, text, strlen(text), NULL);
  _exit(1);
}
