/* test_image.c: digests and chain ids, image names, the image config made into config.json,
 * and users looked up in an image's layers (whiteouts and opaque directories included). */
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/error.h"
#include "base/utils.h"
#include "image/digest.h"
#include "image/image_spec.h"
#include "image/store.h"
#include "unit.h"

START_TEST(digests) {
  char d[DIGEST_TEXT_SIZE];
  digest_of("", 0, d);
  ck_assert_str_eq(d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  digest_of("abc", 3, d);
  ck_assert_str_eq(d, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  ck_assert(digest_valid(d));
  ck_assert(
      !digest_valid("sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
  ck_assert(!digest_valid("sha256:ba78"));
  ck_assert(
      !digest_valid("sha512:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  /* chain(L0) = diff(L0); chain(L1) = sha256("<chain(L0)> <diff(L1)>") */
  char c0[DIGEST_TEXT_SIZE], c1[DIGEST_TEXT_SIZE], want[DIGEST_TEXT_SIZE];
  digest_chain(NULL, d, c0);
  ck_assert_str_eq(c0, d);
  digest_chain(c0, d, c1);
  _cleanup_free_ char *text = xasprintf("%s %s", d, d);
  digest_of(text, strlen(text), want);
  ck_assert_str_eq(c1, want);
}
END_TEST

START_TEST(names) {
  static const struct {
    const char *in, *out; /* out NULL: refused */
  } cases[] = {
      {"seed", "seed:latest"},
      {"seed:1.0", "seed:1.0"},
      {"localhost:5000/team/app", "localhost:5000/team/app:latest"},
      {"docker.io/library/python:3.12-slim", "docker.io/library/python:3.12-slim"},
      {"Seed", NULL},
      {"seed:", NULL},
      {"seed@sha256:abc", NULL},
      {"/abs", NULL},
      {"a b", NULL},
      {"", NULL},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    _cleanup_free_ char *n = image_name_normalize(cases[i].in);
    ck_assert_msg(cases[i].out ? n && strcmp(n, cases[i].out) == 0 : n == NULL,
                  "\"%s\" gave \"%s\"", cases[i].in, n ? n : "(refused)");
  }
}
END_TEST

static char dir[] = "/tmp/husk-test-image-XXXXXX";

static void put(const char *layer, const char *path, const char *text) {
  _cleanup_free_ char *p = xasprintf("%s/%s/%s", dir, layer, path);
  _cleanup_free_ char *d = xstrdup(p);
  *strrchr(d, '/') = '\0';
  ck_assert_int_eq(mkdir_p(d, 0755, NULL), 0);
  _cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write_all(fd, text, strlen(text)), (ssize_t)strlen(text));
}

/* Three layers as unpacked: the base's passwd is replaced by the middle one; the top one
 * whites out etc/group and makes etc/opaque opaque. */
static struct image *layered(void) {
  ck_assert_ptr_nonnull(mkdtemp(dir));
  put("l0", "etc/passwd", "root:x:0:0::/root:/bin/sh\n");
  put("l0", "etc/group", "root:x:0:\nstaff:x:50:appuser\n");
  put("l0", "etc/opaque/old", "old\n");
  put("l1", "etc/passwd", "root:x:0:0::/root:/bin/sh\nappuser:x:1000:1000::/home/a:/bin/sh\n");
  put("l2", "etc/opaque/new", "new\n");
  _cleanup_free_ char *wh = xasprintf("%s/l2/etc/group", dir);
  if (mknod(wh, S_IFCHR | 0, makedev(0, 0)) < 0)
    return NULL; /* not root: no whiteouts to make */
  _cleanup_free_ char *op = xasprintf("%s/l2/etc/opaque", dir);
  if (setxattr(op, "trusted.overlay.opaque", "y", 1, 0) < 0)
    return NULL;
  struct image *img = xcalloc(1, sizeof(*img));
  img->layers = xcalloc(4, sizeof(char *));
  for (int i = 0; i < 3; i++)
    img->layers[img->n_layers++] = xasprintf("%s/l%d", dir, i);
  img->config = json_pack("{s:{s:s, s:[s], s:[s,s], s:[s], s:s, s:{s:s}, s:s}}", "config", "User",
                          "appuser", "Entrypoint", "/entry", "Cmd", "a", "b", "Env", "K=V",
                          "WorkingDir", "/app", "Labels", "team", "x", "StopSignal", "SIGQUIT");
  snprintf(img->id, sizeof(img->id), "sha256:%064d", 0);
  return img;
}

static void cleanup_dir(void) {
  _cleanup_free_ char *cmd = xasprintf("rm -rf %s", dir);
  ck_assert_int_eq(system(cmd), 0);
  strcpy(dir, "/tmp/husk-test-image-XXXXXX");
}

START_TEST(merged_tree) {
  _cleanup_image_ struct image *img = layered();
  if (!img) {
    cleanup_dir();
    return;
  }
  _cleanup_fclose_ FILE *passwd = image_open_file(img, "etc/passwd");
  ck_assert_ptr_nonnull(passwd);
  char line[128];
  ck_assert_ptr_nonnull(fgets(line, sizeof(line), passwd));
  ck_assert_ptr_nonnull(fgets(line, sizeof(line), passwd));
  ck_assert(strncmp(line, "appuser:", 8) == 0);               /* the middle layer's */
  ck_assert_ptr_null(image_open_file(img, "etc/group"));      /* whited out */
  ck_assert_ptr_null(image_open_file(img, "etc/opaque/old")); /* under an opaque dir */
  _cleanup_fclose_ FILE *n = image_open_file(img, "/etc/opaque/new");
  ck_assert_ptr_nonnull(n);
  ck_assert(image_has_dir(img, "etc"));
  ck_assert(!image_has_dir(img, "nope"));
  cleanup_dir();
}
END_TEST

START_TEST(config_as_process) {
  _cleanup_image_ struct image *img = layered();
  if (!img) {
    cleanup_dir();
    return;
  }
  _cleanup_json_ json_t *doc = json_pack("{s:{s:[s]}}", "process", "args", "sh");
  _cleanup_error_ struct husk_error *err = NULL;
  /* no group file (whited out): appuser's gid from passwd, no supplementary groups */
  struct image_overrides o = {0};
  ck_assert_int_eq(image_spec_apply(doc, img, &o, &err), 0);
  json_t *p = json_object_get(doc, "process");
  _cleanup_free_ char *args = json_dumps(json_object_get(p, "args"), JSON_COMPACT);
  ck_assert_str_eq(args, "[\"/entry\",\"a\",\"b\"]");
  _cleanup_free_ char *env = json_dumps(json_object_get(p, "env"), JSON_COMPACT);
  ck_assert_str_eq(env, "[\"" IMAGE_DEFAULT_PATH "\",\"K=V\"]");
  ck_assert_str_eq(json_string_value(json_object_get(p, "cwd")), "/app");
  _cleanup_free_ char *user = json_dumps(json_object_get(p, "user"), JSON_COMPACT | JSON_SORT_KEYS);
  ck_assert_str_eq(user, "{\"additionalGids\":[],\"gid\":1000,\"uid\":1000}");
  json_t *ann = json_object_get(doc, "annotations");
  ck_assert_str_eq(json_string_value(json_object_get(ann, "team")), "x");
  ck_assert_str_eq(json_string_value(json_object_get(ann, "org.opencontainers.image.stopSignal")),
                   "SIGQUIT");
  ck_assert_str_eq(json_string_value(json_object_get(ann, "io.husk.image")), img->id);

  /* --entrypoint drops Cmd; arguments replace it; -u keeps the image's User out */
  char *args2[] = {"x"};
  struct image_overrides o2 = {.entrypoint_set = true, .entrypoint = "sh", .user_set = true};
  _cleanup_json_ json_t *doc2 = json_pack("{s:{}}", "process");
  ck_assert_int_eq(image_spec_apply(doc2, img, &o2, &err), 0);
  _cleanup_free_ char *a2 =
      json_dumps(json_object_get(json_object_get(doc2, "process"), "args"), JSON_COMPACT);
  ck_assert_str_eq(a2, "[\"sh\"]");
  ck_assert_ptr_null(json_object_get(json_object_get(doc2, "process"), "user"));
  struct image_overrides o3 = {.args = args2, .n_args = 1};
  _cleanup_json_ json_t *doc3 = json_pack("{s:{}}", "process");
  ck_assert_int_eq(image_spec_apply(doc3, img, &o3, &err), 0);
  _cleanup_free_ char *a3 =
      json_dumps(json_object_get(json_object_get(doc3, "process"), "args"), JSON_COMPACT);
  ck_assert_str_eq(a3, "[\"/entry\",\"x\"]");
  /* --entrypoint "" with no arguments: nothing to run, said so */
  struct image_overrides o4 = {.entrypoint_set = true, .entrypoint = ""};
  _cleanup_json_ json_t *doc4 = json_pack("{s:{}}", "process");
  ck_assert_int_lt(image_spec_apply(doc4, img, &o4, &err), 0);
  ck_assert_ptr_nonnull(strstr(err->message, "neither Entrypoint nor Cmd"));
  cleanup_dir();
}
END_TEST

static Suite *image_suite(void) {
  Suite *s = suite_create("image");
  TCase *tc = tcase_create("image");
  tcase_add_test(tc, digests);
  tcase_add_test(tc, names);
  tcase_add_test(tc, merged_tree);
  tcase_add_test(tc, config_as_process);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return unit_run(image_suite()); }
