/* bpf.c: device rules on cgroup v2, which has no devices.allow: a BPF_PROG_TYPE_CGROUP_DEVICE
 * program, built here instruction by instruction (libseccomp does not cover this program
 * type; runc and crun build it the same way) and attached to the container's cgroup with the
 * raw bpf(2) syscall. The kernel asks it about every open or mknod of a device node. */
#include <fcntl.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "internal.h"

/* Registers: r1 = context on entry, then scratch; r2 = device type, r3 = access wanted,
 * r4 = major, r5 = minor, r0 = the verdict (1 allow, 0 deny). */
enum { R0, R1, R2, R3, R4, R5 };

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  return (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}

struct prog {
  struct bpf_insn *v;
  size_t n, cap;
};

static size_t emit(struct prog *p, struct bpf_insn i) {
  if (p->n == p->cap) {
    p->cap = p->cap * 2 + 32;
    p->v = xrealloc(p->v, p->cap * sizeof(*p->v));
  }
  p->v[p->n] = i;
  return p->n++;
}

/* 32-bit compares: the context fields are u32, so no sign extension can get in the way. */
static size_t jump_unless_eq(struct prog *p, uint8_t reg, int64_t value) {
  return emit(p, insn(BPF_JMP32 | BPF_JNE | BPF_K, reg, 0, 0, (int32_t)(uint32_t)value));
}

/* One rule: every test that fails jumps past the rule's block to the next (earlier) rule.
 * Returns whether it matches every request (then nothing after it could run). */
static bool emit_rule(struct prog *p, const struct cg_dev_rule *r) {
  size_t jumps[4], nj = 0;
  const unsigned all = CG_DEV_READ | CG_DEV_WRITE | CG_DEV_MKNOD;
  if (r->type != 'a')
    jumps[nj++] = jump_unless_eq(p, R2, r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
  if (r->access != all) {
    emit(p, insn(BPF_ALU | BPF_MOV | BPF_X, R1, R3, 0, 0));
    emit(p, insn(BPF_ALU | BPF_AND | BPF_K, R1, 0, 0, (int32_t)r->access));
    /* An allow rule covers a request only whole; a deny rule denies any part it names. */
    jumps[nj++] = r->allow ? emit(p, insn(BPF_JMP32 | BPF_JNE | BPF_X, R1, R3, 0, 0))
                           : emit(p, insn(BPF_JMP32 | BPF_JEQ | BPF_K, R1, 0, 0, 0));
  }
  if (r->major >= 0)
    jumps[nj++] = jump_unless_eq(p, R4, r->major);
  if (r->minor >= 0)
    jumps[nj++] = jump_unless_eq(p, R5, r->minor);
  emit(p, insn(BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, r->allow ? 1 : 0));
  emit(p, insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  for (size_t i = 0; i < nj; i++)
    p->v[jumps[i]].off = (int16_t)(p->n - jumps[i] - 1);
  return nj == 0;
}

void cg_bpf_device_program(const struct cg_dev_rule *rules, size_t n, struct bpf_insn **ret,
                           size_t *ret_n) {
  struct prog p = {0};
  /* access_type = access << 16 | type; major; minor (struct bpf_cgroup_dev_ctx) */
  emit(&p, insn(BPF_LDX | BPF_MEM | BPF_W, R2, R1, 0, 0));
  emit(&p, insn(BPF_ALU | BPF_AND | BPF_K, R2, 0, 0, 0xffff));
  emit(&p, insn(BPF_LDX | BPF_MEM | BPF_W, R3, R1, 0, 0));
  emit(&p, insn(BPF_ALU | BPF_RSH | BPF_K, R3, 0, 0, 16));
  emit(&p, insn(BPF_LDX | BPF_MEM | BPF_W, R4, R1, 4, 0));
  emit(&p, insn(BPF_LDX | BPF_MEM | BPF_W, R5, R1, 8, 0));
  /* The last rule that matches decides, as with v1's devices.allow/deny written in order. A
   * rule matching everything ends the program: the verifier refuses unreachable code. */
  bool all = false;
  for (size_t i = n; i-- > 0 && !all;)
    if (rules[i].access)
      all = emit_rule(&p, &rules[i]);
  if (!all) { /* nothing matched: deny */
    emit(&p, insn(BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, 0));
    emit(&p, insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  }
  *ret = p.v;
  *ret_n = p.n;
}

static long bpf(int cmd, union bpf_attr *attr) {
  return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int load_program(const struct cg_dev_rule *rules, size_t n, struct husk_error **err) {
  _cleanup_free_ struct bpf_insn *insns = NULL;
  size_t n_insns = 0;
  cg_bpf_device_program(rules, n, &insns, &n_insns);
  _cleanup_free_ char *log_buf = xcalloc(1, 65536);
  union bpf_attr attr = {0};
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t)(uintptr_t)insns;
  attr.insn_cnt = (uint32_t)n_insns;
  attr.license = (uint64_t)(uintptr_t) "Apache-2.0";
  attr.log_buf = (uint64_t)(uintptr_t)log_buf;
  attr.log_size = 65536;
  attr.log_level = 1;
  long fd = bpf(BPF_PROG_LOAD, &attr);
  TRACE(fd, "compile the device rules into a cgroup device program",
        "bpf(BPF_PROG_LOAD, {prog_type=BPF_PROG_TYPE_CGROUP_DEVICE, insn_cnt=%zu})", n_insns);
  if (fd < 0 && log_buf[0]) { /* the verifier's first line says why */
    int e = errno;
    log_buf[strcspn(log_buf, "\n")] = '\0';
    return husk_error_errno(err, e, "the kernel's verifier refused the device program (%s)",
                            log_buf);
  }
  if (fd < 0)
    return husk_error_sys(err, "load the device program");
  if (fcntl((int)fd, F_SETFD, FD_CLOEXEC) < 0) {
    close((int)fd);
    return husk_error_sys(err, "fcntl");
  }
  return (int)fd;
}

/* Programs attached to this cgroup before (an earlier apply, before `update`). */
static size_t attached_programs(int cgroup_fd, uint32_t *ids, size_t cap) {
  union bpf_attr attr = {0};
  attr.query.target_fd = (uint32_t)cgroup_fd;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
  attr.query.prog_cnt = (uint32_t)cap;
  if (bpf(BPF_PROG_QUERY, &attr) < 0)
    return 0;
  return attr.query.prog_cnt < cap ? attr.query.prog_cnt : cap;
}

int cg_bpf_devices(const char *dir, const struct cg_dev_rule *rules, size_t n,
                   struct husk_error **err) {
  _cleanup_close_ int cgroup_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cgroup_fd < 0)
    return husk_error_sys(err, "open %s", dir);
  uint32_t old[64];
  size_t n_old = attached_programs(cgroup_fd, old, ARRAY_SIZE(old));
  _cleanup_close_ int prog = load_program(rules, n, err);
  if (prog < 0)
    return husk_error_wrap(err, "linux.resources.devices");
  union bpf_attr attr = {0};
  attr.target_fd = (uint32_t)cgroup_fd;
  attr.attach_bpf_fd = (uint32_t)prog;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  long r = bpf(BPF_PROG_ATTACH, &attr);
  TRACE(r, "enforce the device rules on every process of the cgroup",
        "bpf(BPF_PROG_ATTACH, {target_fd=%d /* %s */, attach_type=BPF_CGROUP_DEVICE, "
        "attach_flags=BPF_F_ALLOW_MULTI})",
        cgroup_fd, dir);
  if (r < 0)
    return husk_error_sys(err, "linux.resources.devices: attach the device program to %s", dir);
  /* Only now drop the old ones: in between both apply, which is the stricter of the two. */
  for (size_t i = 0; i < n_old; i++) {
    union bpf_attr get = {0};
    get.prog_id = old[i];
    _cleanup_close_ int old_fd = (int)bpf(BPF_PROG_GET_FD_BY_ID, &get);
    if (old_fd < 0)
      continue;
    union bpf_attr detach = {0};
    detach.target_fd = (uint32_t)cgroup_fd;
    detach.attach_bpf_fd = (uint32_t)old_fd;
    detach.attach_type = BPF_CGROUP_DEVICE;
    r = bpf(BPF_PROG_DETACH, &detach);
    TRACE(r, "drop the device program this one replaces", "bpf(BPF_PROG_DETACH, {prog_id=%u})",
          old[i]);
  }
  return 0;
}
