/* test_image.c: integration tests of husk's image store (--storage): `image load` of OCI
 * layouts, oci-archives and docker-archives (skopeo's legacy form and Docker 25's), `images`,
 * `image inspect/tag/rm/prune`, and containers run from an image: layers stacked with an
 * overlay (whiteouts, opaque directories, hardlinks), the image config honoured (Entrypoint,
 * Cmd, Env, User by name, WorkingDir, Healthcheck, StopSignal, Labels, Volumes) and overridden
 * by flags, two containers of one image isolated from each other and from the layers, and
 * hostile images (paths out of the layer, symlinks written through, wrong digests, truncated
 * layers, a load killed halfway) refused or survived without leaving anything behind.
 * Images are built offline by image_fixture.c; every test has a store of its own. */
#include "harness.h"
#include "image_fixture.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The image commands and `run IMAGE` are husk's own (runc has no image store), so against
 * another $OCI_RUNTIME every test here returns at once. */
#define HUSK_ONLY()                                                                                \
  do {                                                                                             \
    if (!h_is_husk())                                                                              \
      return;                                                                                      \
  } while (0)

#define BUSYBOX_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...) {
  va_list ap;
  va_start(ap, f);
  char *s;
  int n = vasprintf(&s, f, ap);
  va_end(ap);
  ck_assert_int_ge(n, 0);
  return s;
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
  nanosleep(&ts, NULL);
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* ---- running husk with a store ---- */

/* husk --root <state root> --storage store args... */
static struct h_proc *spawn_store(const char *store, const char *const *args) {
  const char *argv[64];
  size_t n = 0;
  argv[n++] = h_runtime();
  argv[n++] = "--root";
  argv[n++] = h_state_root();
  argv[n++] = "--storage";
  argv[n++] = store;
  for (; *args; args++) {
    ck_assert(n < sizeof(argv) / sizeof(argv[0]) - 1);
    argv[n++] = *args;
  }
  argv[n] = NULL;
  return h_spawn((char *const *)argv, -1);
}

static struct h_result rt_store(const char *store, const char *const *args) {
  return h_proc_wait(spawn_store(store, args), H_TIMEOUT_MS);
}

#define RT(store, ...) rt_store((store), (const char *const[]){__VA_ARGS__, NULL})
#define RT_SPAWN(store, ...) spawn_store((store), (const char *const[]){__VA_ARGS__, NULL})

/* ---- looking into a store ---- */

/* Names in dir, sorted, one a line ("" when it is empty or missing). */
static char *list_dir(const char *dir) {
  struct dirent **names;
  int n = scandir(dir, &names, NULL, alphasort);
  char *out = fmt("%s", "");
  for (int i = 0; i < n; i++) {
    if (strcmp(names[i]->d_name, ".") != 0 && strcmp(names[i]->d_name, "..") != 0) {
      char *next = fmt("%s%s\n", out, names[i]->d_name);
      free(out);
      out = next;
    }
    free(names[i]);
  }
  if (n >= 0)
    free(names);
  return out;
}

static bool str_starts(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

static char *store_path(const char *store, const char *rel) { return fmt("%s/%s", store, rel); }

/* tmp/ holds work in progress only: empty or absent once a command has ended. */
static void assert_no_tmp(const char *store, const char *after) {
  _h_free_ char *tmp = store_path(store, "tmp");
  _h_free_ char *left = list_dir(tmp);
  ck_assert_msg(left[0] == '\0', "after %s, %s is not empty:\n%s", after, tmp, left);
}

static void assert_no_container_dir(const char *store, const char *id) {
  _h_free_ char *dir = fmt("%s/containers/%s", store, id);
  ck_assert_msg(!h_exists(dir), "%s is left", dir);
}

/* The layer lock files (locks/ also keeps "refs" and "store", which stay). */
static char *layer_locks(const char *store) {
  _h_free_ char *dir = store_path(store, "locks");
  _h_free_ char *all = list_dir(dir);
  char *out = fmt("%s", "");
  for (char *save = NULL, *n = strtok_r(all, "\n", &save); n; n = strtok_r(NULL, "\n", &save))
    if (strcmp(n, "refs") && strcmp(n, "store")) {
      char *more = fmt("%s%s\n", out, n);
      free(out);
      out = more;
    }
  return out;
}

/* What the store holds: blobs, layers, images, the refs; to compare before and after. */
static char *store_snapshot(const char *store) {
  _h_free_ char *b = store_path(store, "blobs/sha256");
  _h_free_ char *l = store_path(store, "layers");
  _h_free_ char *i = store_path(store, "images");
  _h_free_ char *r = store_path(store, "refs.json");
  _h_free_ char *blobs = list_dir(b), *layers = list_dir(l), *images = list_dir(i);
  _h_free_ char *refs = h_read(r);
  _h_free_ char *locks = layer_locks(store);
  return fmt("blobs/sha256:\n%slayers:\n%simages:\n%slayer locks:\n%srefs.json: %s\n", blobs,
             layers, images, locks, refs ? refs : "(none)");
}

static bool store_is_empty(const char *store) {
  _h_free_ char *b = store_path(store, "blobs/sha256");
  _h_free_ char *l = store_path(store, "layers");
  _h_free_ char *i = store_path(store, "images");
  _h_free_ char *c = store_path(store, "containers");
  _h_free_ char *blobs = list_dir(b), *layers = list_dir(l), *images = list_dir(i);
  _h_free_ char *containers = list_dir(c), *locks = layer_locks(store);
  return !blobs[0] && !layers[0] && !images[0] && !containers[0] && !locks[0];
}

/* The first path below root whose last component is name (NULL: none). */
static const char *g_find_name;
static char *g_found;
static int find_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  if (strcmp(path + ftw->base, g_find_name) == 0) {
    g_found = fmt("%s", path);
    return 1;
  }
  return 0;
}

static char *find_named(const char *root, const char *name) {
  g_find_name = name;
  g_found = NULL;
  nftw(root, find_one, 32, FTW_PHYS);
  return g_found;
}

/* ---- images ---- */

/* A directory of its own holding the layout dir/name (name is the repository when the ref
 * name is a bare tag). */
static char *layout_of(struct fx_image *img, const char *name, const char *ref) {
  _h_free_ char *src = h_dir_new("src");
  char *dir = fmt("%s/%s", src, name);
  fx_layout_write(img, dir, ref);
  return dir;
}

static void load_ok(const char *store, const char *source, const char *want_out) {
  _h_result_ struct h_result r = RT(store, "image", "load", source);
  ck_assert_msg(r.status == 0, "image load %s: %d %s", source, r.status, r.err);
  if (want_out)
    ck_assert_msg(strcmp(r.out, want_out) == 0, "image load %s printed \"%s\", want \"%s\"", source,
                  r.out, want_out);
  assert_no_tmp(store, "image load");
}

/* The busybox image, with Cmd ["sh"], loaded as name:tag; returns its id (hex). */
static char *load_busybox(const char *store, const char *name, const char *tag) {
  _fx_image_ struct fx_image *img = fx_image_busybox();
  json_object_set_new(fx_image_config(img), "Cmd", json_pack("[s]", "sh"));
  _h_free_ char *layout = layout_of(img, name, tag);
  _h_free_ char *want = fmt("Loaded image: %s:%s\n", name, tag);
  load_ok(store, layout, want);
  return fx_image_id(img);
}

/* `image inspect ref`'s one object (a new reference), asserted to be there. */
static json_t *inspect(const char *store, const char *ref) {
  _h_result_ struct h_result r = RT(store, "image", "inspect", ref);
  ck_assert_msg(r.status == 0, "image inspect %s: %d %s", ref, r.status, r.err);
  json_error_t e;
  _h_json_ json_t *arr = json_loads(r.out, 0, &e);
  ck_assert_msg(json_is_array(arr) && json_array_size(arr) == 1,
                "image inspect %s: not a JSON array of one object (%s): %s", ref, e.text, r.out);
  return json_incref(json_array_get(arr, 0));
}

static char *inspect_id(const char *store, const char *ref) {
  _h_json_ json_t *o = inspect(store, ref);
  const char *id = json_string_value(json_object_get(o, "Id"));
  ck_assert_msg(id, "image inspect %s: no Id", ref);
  return fmt("%s", id);
}

static void assert_ref_missing(const char *store, const char *ref) {
  _h_result_ struct h_result r = RT(store, "image", "inspect", ref);
  ck_assert_msg(r.status != 0, "image inspect %s succeeded: %s", ref, r.out);
  ck_assert_msg(r.err[0], "image inspect %s failed without a message", ref);
}

/* `images -q` output. */
static char *image_ids(const char *store) {
  _h_result_ struct h_result r = RT(store, "images", "-q");
  ck_assert_msg(r.status == 0, "images -q: %d %s", r.status, r.err);
  char *out = r.out;
  r.out = NULL;
  return out;
}

static bool has_line(const char *text, const char *line) {
  size_t n = strlen(line);
  for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
    if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
      return true;
  return false;
}

/* A row of `images`: REPOSITORY TAG IMAGE-ID ...; false when there is none for repo:tag. */
static bool images_row(const char *out, const char *repo, const char *tag, char id12[13]) {
  for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
    char r[256], t[128], i[64];
    if (sscanf(p, "%255s %127s %63s", r, t, i) == 3 && strcmp(r, repo) == 0 &&
        strcmp(t, tag) == 0) {
      if (strlen(i) != 12)
        return false;
      memcpy(id12, i, 13);
      return true;
    }
  }
  return false;
}

/* The words of a and b, as sets, are the same. */
static bool same_words(const char *a, const char *b) {
  char x[512], y[512];
  snprintf(x, sizeof(x), " %s ", a);
  snprintf(y, sizeof(y), " %s ", b);
  for (char *p = x; *p; p++)
    if (*p == '\n' || *p == '\t')
      *p = ' ';
  for (char *p = y; *p; p++)
    if (*p == '\n' || *p == '\t')
      *p = ' ';
  const char *sets[2][2] = {{x, y}, {y, x}};
  for (int k = 0; k < 2; k++) {
    _h_free_ char *copy = fmt("%s", sets[k][0]);
    for (char *save, *w = strtok_r(copy, " \n", &save); w; w = strtok_r(NULL, " \n", &save)) {
      _h_free_ char *needle = fmt(" %s ", w);
      if (!strstr(sets[k][1], needle))
        return false;
    }
  }
  return true;
}

/* The value after "key=" on a line of out (static buffer), or NULL. */
static const char *field(const char *out, const char *key) {
  static char value[1024];
  size_t n = strlen(key);
  for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
    if (strncmp(p, key, n) == 0 && p[n] == '=') {
      const char *end = strchr(p, '\n');
      size_t len = end ? (size_t)(end - p - n - 1) : strlen(p + n + 1);
      snprintf(value, sizeof(value), "%.*s", (int)len, p + n + 1);
      return value;
    }
  return NULL;
}

/* ---- containers ---- */

/* After a foreground run: it ended, and its state and its storage are gone. */
static void assert_fg_run_gone(const char *store, const char *id, const struct h_result *r) {
  ck_assert_msg(r->status != -1, "run hung: %s", r->err);
  ck_assert_msg(!h_state_dir_exists(id), "a foreground run left the state of %s", id);
  assert_no_container_dir(store, id);
  assert_no_tmp(store, "run");
}

static void remove_container(const char *store, const char *id) {
  _h_result_ struct h_result d = RT(store, "delete", "--force", id);
  ck_assert_msg(d.status == 0, "delete --force %s: %d %s", id, d.status, d.err);
  ck_assert_msg(!h_state_dir_exists(id), "delete left the state of %s", id);
  assert_no_container_dir(store, id);
  assert_no_tmp(store, "delete");
}

static json_t *state_of(const char *store, const char *id) {
  _h_result_ struct h_result r = RT(store, "state", id);
  if (r.status != 0)
    return NULL;
  return json_loads(r.out, 0, NULL);
}

static const char *health_status(json_t *state) {
  return json_string_value(json_object_get(json_object_get(state, "health"), "status"));
}

static bool wait_health(const char *store, const char *id, const char *status, int timeout_ms) {
  long long deadline = now_ms() + timeout_ms;
  for (;;) {
    _h_json_ json_t *st = state_of(store, id);
    const char *s = health_status(st);
    if (s && strcmp(s, status) == 0)
      return true;
    if (now_ms() > deadline) {
      fprintf(stderr, "test: %s is %s, not %s\n", id, s ? s : "without health", status);
      return false;
    }
    sleep_ms(50);
  }
}

/* exec in id until cmd succeeds; false after timeout_ms. */
static bool wait_exec_ok(const char *store, const char *id, const char *cmd, int timeout_ms) {
  long long deadline = now_ms() + timeout_ms;
  for (;;) {
    _h_result_ struct h_result r = RT(store, "exec", id, "sh", "-c", cmd);
    if (r.status == 0)
      return true;
    if (now_ms() > deadline)
      return false;
    sleep_ms(50);
  }
}

/* ======================================================================================== */
/* loading */

START_TEST(test_load_layout_dir_and_list) {
  HUSK_ONLY();
  _h_free_ char *store = h_dir_new("store");
  _fx_image_ struct fx_image *img = fx_image_busybox();
  json_object_set_new(fx_image_config(img), "Cmd", json_pack("[s]", "sh"));
  _h_free_ char *layout = layout_of(img, "myapp", "1.0");
  _h_free_ char *id = fx_image_id(img);
  load_ok(store, layout, "Loaded image: myapp:1.0\n");

  /* The store's layout: the image's config, its one layer unpacked, the refs. */
  _h_free_ char *image_json = fmt("%s/images/%s.json", store, id);
  ck_assert_msg(h_exists(image_json), "%s is missing", image_json);
  _h_free_ char *chain = fx_image_chain_id(img, 0);
  _h_free_ char *busybox = fmt("%s/layers/%s/bin/busybox", store, chain);
  ck_assert_msg(h_exists(busybox), "the layer is not unpacked at %s", busybox);
  _h_free_ char *refs_path = store_path(store, "refs.json");
  _h_free_ char *refs = h_read(refs_path);
  ck_assert_msg(refs && strstr(refs, "myapp"), "refs.json: %s", refs);
  ck_assert_msg(!h_mounted_under(store), "image load left a mount in the store");

  _h_result_ struct h_result ls = RT(store, "images");
  ck_assert_msg(ls.status == 0, "images: %d %s", ls.status, ls.err);
  const char *cols[] = {"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"};
  const char *at = ls.out;
  const char *eol = strchr(ls.out, '\n');
  for (size_t i = 0; i < 5; i++) {
    const char *c = strstr(at, cols[i]);
    ck_assert_msg(c && (!eol || c < eol), "images: no column %s in order in: %s", cols[i], ls.out);
    at = c + strlen(cols[i]);
  }
  char id12[13];
  ck_assert_msg(images_row(ls.out, "myapp", "1.0", id12), "images: no row myapp 1.0: %s", ls.out);
  ck_assert_msg(strncmp(id12, id, 12) == 0, "images: id %s, want %.12s", id12, id);
  ck_assert_int_eq(h_lines(ls.out), 2);

  _h_result_ struct h_result ls2 = RT(store, "image", "ls");
  ck_assert_msg(ls2.status == 0, "image ls: %d %s", ls2.status, ls2.err);
  ck_assert_str_eq(ls2.out, ls.out);

  _h_free_ char *q = image_ids(store);
  _h_free_ char *want_q = fmt("%.12s\n", id);
  ck_assert_str_eq(q, want_q);

  /* Loading it again changes nothing. */
  _h_free_ char *before = store_snapshot(store);
  load_ok(store, layout, "Loaded image: myapp:1.0\n");
  _h_free_ char *after = store_snapshot(store);
  ck_assert_str_eq(after, before);
}
END_TEST

/* oci:DIR:TAG picks one manifest of a layout holding two; DIR alone loads both. */
START_TEST(test_load_oci_prefix_selects_tag) {
  HUSK_ONLY();
  _h_free_ char *store = h_dir_new("store");
  _fx_image_ struct fx_image *one = fx_image_busybox();
  _fx_image_ struct fx_image *two = fx_image_busybox();
  json_object_set_new(fx_image_config(one), "Cmd", json_pack("[ss]", "echo", "one"));
  json_object_set_new(fx_image_config(two), "Cmd", json_pack("[ss]", "echo", "two"));
  _h_free_ char *layout = layout_of(one, "multi", "one");
  fx_layout_write(two, layout, "two");
  _h_free_ char *id_two = fx_image_id(two);
  _h_free_ char *id_one = fx_image_id(one);

  _h_free_ char *src = fmt("oci:%s:two", layout);
  load_ok(store, src, "Loaded image: multi:two\n");
  _h_free_ char *q = image_ids(store);
  _h_free_ char *want_q = fmt("%.12s\n", id_two);
  ck_assert_str_eq(q, want_q);
  _h_json_ json_t *o = inspect(store, "multi:two");
  _h_free_ char *want_id = fmt("sha256:%s", id_two);
  ck_assert_str_eq(json_string_value(json_object_get(o, "Id")), want_id);
  ck_assert(json_equal(json_object_get(json_object_get(o, "Config"), "Cmd"),
                       json_object_get(fx_image_config(two), "Cmd")));
  assert_ref_missing(store, "multi:one");

  _h_free_ char *missing = fmt("oci:%s:three", layout);
  _h_result_ struct h_result bad = RT(store, "image", "load", missing);
  ck_assert_msg(bad.status != 0, "oci:DIR:three loaded: %s", bad.out);
  ck_assert_msg(strstr(bad.err, "three"), "the error does not name the tag: %s", bad.err);
  assert_no_tmp(store, "a failed load");

  /* The layout alone, holding two images: both are loaded, or the load is refused asking for
   * a tag, leaving the store as it was. */
  _h_free_ char *before = store_snapshot(store);
  _h_result_ struct h_result all = RT(store, "image", "load", layout);
  assert_no_tmp(store, "image load");
  if (all.status != 0) {
    ck_assert_msg(all.status != -1 && strstr(all.err, layout),
                  "image load of a layout of two images: %d %s", all.status, all.err);
    _h_free_ char *after = store_snapshot(store);
    ck_assert_str_eq(after, before);
    return;
  }
  ck_assert_msg(has_line(all.out, "Loaded image: multi:one") &&
                    has_line(all.out, "Loaded image: multi:two"),
                "image load of both: %s", all.out);
  _h_free_ char *q2 = image_ids(store);
  ck_assert_int_eq(h_lines(q2), 2);
  _h_free_ char *got_one = inspect_id(store, "multi:one");
  _h_free_ char *want_one = fmt("sha256:%s", id_one);
  ck_assert_str_eq(got_one, want_one);
}
END_TEST

/* The ref name annotation: a full name as it is, NAME without a tag as NAME:latest, none at
 * all as an image without a name. */
START_TEST(test_load_ref_names) {
  HUSK_ONLY();
  _h_free_ char *store = h_dir_new("store");
  _fx_image_ struct fx_image *full = fx_image_busybox();
  _fx_image_ struct fx_image *notag = fx_image_busybox();
  _fx_image_ struct fx_image *anon = fx_image_busybox();
  json_object_set_new(fx_image_config(full), "Labels", json_pack("{s:s}", "which", "full"));
  json_object_set_new(fx_image_config(notag), "Labels", json_pack("{s:s}", "which", "notag"));
  json_object_set_new(fx_image_config(anon), "Labels", json_pack("{s:s}", "which", "anon"));
  _h_free_ char *l1 = layout_of(full, "names", "registry.example.com/team/app:2.0");
  _h_free_ char *l2 = layout_of(notag, "names", "team/tool");
  _h_free_ char *l3 = layout_of(anon, "names", NULL);
  _h_free_ char *anon_id = fx_image_id(anon);
  load_ok(store, l1, "Loaded image: registry.example.com/team/app:2.0\n");
  load_ok(store, l2, "Loaded image: team/tool:latest\n");
  _h_free_ char *anon_line = fmt("Loaded image ID: sha256:%s\n", anon_id);
  load_ok(store, l3, anon_line);

  _h_json_ json_t *o = inspect(store, "team/tool");
  _h_json_ json_t *tool_tags = json_pack("[s]", "team/tool:latest");
  ck_assert_msg(json_equal(json_object_get(o, "RepoTags"), tool_tags), "RepoTags of team/tool");
  _h_free_ char *full_id = inspect_id(store, "registry.example.com/team/app:2.0");
  _h_free_ char *want_full = fx_image_id(full);
  ck_assert_str_eq(full_id + strlen("sha256:"), want_full);
  _h_json_ json_t *a = inspect(store, anon_id);
  ck_assert_int_eq(json_array_size(json_object_get(a, "RepoTags")), 0);
  _h_free_ char *q = image_ids(store);
  ck_assert_int_eq(h_lines(q), 3);
}
END_TEST

START_TEST(test_load_oci_archive) {
  HUSK_ONLY();
  _h_free_ char *store = h_dir_new("store");
  _fx_image_ struct fx_image *img = fx_image_busybox();
  json_object_set_new(fx_image_config(img), "Cmd", json_pack("[ss]", "cat", "/etc/image-name"));
  _h_free_ char *layout = layout_of(img, "webapp-layout", "3.1");
  _h_free_ char *src = h_dir_new("archives");
  _h_free_ char *tar = fmt("%s/webapp.tar", src);
  fx_tar_dir(layout, tar);
  /* The repository is the file's base name without .tar. */
  load_ok(store, tar, "Loaded image: webapp:3.1\n");
  _h_free_ char *id = fx_image_id(img);
  _h_free_ char *got = inspect_id(store, "webapp:3.1");
  ck_assert_str_eq(got + strlen("sha256:"), id);
  _h_free_ char *cid = h_id_new("ociarch");
  _h_result_ struct h_result run = RT(store, "run", "--name", cid, "webapp:3.1");
  assert_fg_run_gone(store, cid, &run);
  ck_assert_msg(run.status == 0, "run webapp:3.1: %d %s", run.status, run.err);
  ck_assert_str_eq(run.out, "busybox\n");

  /* skopeo's oci-archive, named with the prefix and a tag, into a second store */
  _h_free_ char *store2 = h_dir_new("store");
  _h_free_ char *skop = fmt("%s/skop.tar", src);
  _h_free_ char *from = fmt("oci:%s:3.1", layout);
  _h_free_ char *to = fmt("oci-archive:%s:3.1", skop);
  fx_skopeo(from, to);
  load_ok(store2, to, "Loaded image: skop:3.1\n");
  _h_free_ char *got2 = inspect_id(store2, "skop:3.1");
  ck_assert_str_eq(got2 + strlen("sha256:"), id);
}
END_TEST

/* skopeo's docker-archive (legacy `docker save`: manifest.json, <id>.json, <diff id>.tar and
 * per-layer directories whose layer.tar is a symlink). */
START_TEST(test_load_docker_archive_skopeo) {
  HUSK_ONLY();
  _h_free_ char *store = h_dir_new("store");
  _fx_image_ struct fx_image *img = fx_image_busybox();
  struct fx_layer *l = fx_layer_new(FX_GZIP);
  fx_layer_dir(l, "etc", 0755, 0, 0);
  fx_layer_text(l, "etc/release", "legacy\n", 0644);
  fx_image_add_layer(img, l);
  json_object_set_new(fx_image_config(img), "Cmd", json_pack("[ss]", "cat", "/etc/release"));
  json_object_set_new(fx_image_config(img), "Env", json_pack("[s]", "PATH=/bin"));
  _h_free_ char *layout = layout_of(img, "legacy", "v1");
  _h_free_ char *src = h_dir_new("archives");
  _h_free_ char *tar = fmt("%s/legacy.tar", src);
  _h_free_ char *from = fmt("oci:%s:v1", layout);
  _h_free_ char *to = fmt("docker-archive:%s:example/app:v1", tar);
  fx_skopeo(from, to);

  /* What skopeo wrote decides the expected name and id (it normalises the name and rewrites
   * the config). */
  _h_json_ json_t *members = fx_tar_members(tar);
  const char *mtext = json_string_value(json_object_get(members, "manifest.json"));
  ck_assert_msg(mtext, "skopeo wrote no manifest.json");
  _h_json_ json_t *manifest = json_loads(mtext, 0, NULL);
  json_t *m0 = json_array_get(manifest, 0);
  const char *repo_tag = json_string_value(json_array_get(json_object_get(m0, "RepoTags"), 0));
  const char *config = json_string_value(json_object_get(m0, "Config"));
  ck_assert(repo_tag && config);
  _h_free_ char *want = fmt("Loaded image: %s\n", repo_tag);
  load_ok(store, tar, want);
  _h_json_ json_t *o = inspect(store, repo_tag);
  _h_free_ char *want_id = fmt("sha256:%.64s", config);
  ck_assert_str_eq(json_string_value(json_object_get(o, "Id")), want_id);
  ck_assert(json_equal(json_object_get(json_object_get(o, "Config"), "Cmd"),
                       json_object_get(fx_image_config(img), "Cmd")));
  _h_free_ char *cid = h_id_new("dockarch");
  _h_result_ struct h_result run = RT(store, "run", "--name", cid, repo_tag);
  assert_fg_run_gone(store, cid, &run);
  ck_assert_msg(run.status == 0, "run: %d %s", run.status, run.err);
  ck_assert_str_eq(run.out, "legacy\n");

  /* the same with the prefix, into a second store */
  _h_free_ char *store2 = h_dir_new("store");
  _h_free_ char *prefixed = fmt("docker-archive:%s", tar);
  load_ok(store2, prefixed, want);
}
END_TEST

/* Docker >= 25's `docker save`: manifest.json whose Config and Layers are blobs/sha256/<hex>,
 * next to index.json and oci-layout. The names are manifest.json's RepoTags, not the OCI
 * ref name nor the file's name. */
START_TEST(test_load_docker_archive_new_format) {
  HUSK_ONLY();
  _h_free_ char *store = h_dir_new("store");
  _fx_image_ struct fx_image *img = fx_image_new();
  struct fx_layer *base = fx_layer_new(FX_NONE);
  fx_layer_busybox(base);
  fx_image_add_layer(img, base);
  struct fx_layer *l = fx_layer_new(FX_NONE);
  fx_layer_dir(l, "etc", 0755, 0, 0);
  fx_layer_text(l, "etc/release", "docker25\n", 0644);
  fx_image_add_layer(img, l);
  json_object_set_new(fx_image_config(img), "Cmd", json_pack("[ss]", "cat", "/etc/release"));
  _h_free_ char *layout = layout_of(img, "newdocker", "v25");
  fx_docker_manifest_write(img, layout, "example.com/newdocker:v25");
  _h_free_ char *src = h_dir_new("archives");
  _h_free_ char *tar = fmt("%s/newdocker-save.tar", src);
  fx_tar_dir(layout, tar);
  load_ok(store, tar, "Loaded image: example.com/newdocker:v25\n");
  _h_free_ char *id = fx_image_id(img);
  _h_free_ char *got = inspect_id(store, "example.com/newdocker:v25");
  ck_assert_str_eq(got + strlen("sha256:"), id);
  _h_free_ char *cid = h_id_new("dock25");
  _h_result_ struct h_result run = RT(store, "run", "--name", cid, "example.com/newdocker:v25");
  assert_fg_run_gone(store, cid, &run);
  ck_assert_msg(run.status == 0, "run: %d %s", run.status, run.err);
  ck_assert_str_eq(run.out, "docker25\n");
}
END_TEST

/* A docker-archive of manifest.json alone (no index.json, no oci-layout) whose RepoTags is
 * null: loaded by the paths manifest.json gives, printed as an id; it runs by id prefix. */
START_TEST(test_load_docker_archive_without_names) {
  HUSK_ONLY();
  _h_free_ char *store = h_dir_new("store");
  _fx_image_ struct fx_image *img = fx_image_busybox();
  json_object_set_new(fx_image_config(img), "Cmd", json_pack("[ss]", "cat", "/etc/image-name"));
  _h_free_ char *layout = layout_of(img, "nameless", NULL);
  fx_docker_manifest_write(img, layout, NULL);
  _h_free_ char *index = fmt("%s/index.json", layout), *oci = fmt("%s/oci-layout", layout);
  ck_assert_int_eq(unlink(index), 0);
  ck_assert_int_eq(unlink(oci), 0);
  _h_free_ char *src = h_dir_new("archives");
  _h_free_ char *tar = fmt("%s/nameless.tar", src);
  fx_tar_dir(layout, tar);
  _h_free_ char *id = fx_image_id(img);
  _h_free_ char *want = fmt("Loaded image ID: sha256:%s\n", id);
  _h_free_ char *prefixed = fmt("docker-archive:%s", tar);
  load_ok(store, prefixed, want);
  _h_free_ char *p12 = fmt("%.12s", id);
  _h_json_ json_t *o = inspect(store, p12);
  ck_assert_int_eq(json_array_size(json_object_get(o, "RepoTags")), 0);
  _h_free_ char *cid = h_id_new("nameless");
  _h_result_ struct h_result run = RT(store, "run", "--name", cid, p12);
  assert_fg_run_gone(store, cid, &run);
  ck_assert_msg(run.status == 0, "run %s: %d %s", p12, run.status, run.err);
  ck_assert_str_eq(run.out, "busybox\n");
}
END_TEST

/* Sources that are not images: an error each, and nothing in the store. */
START_TEST(test_load_errors) {
  HUSK_ONLY();
  _h_free_ char *store = h_dir_new("store");
  _h_free_ char *src = h_dir_new("src");
  _h_free_ char *missing = fmt("%s/no-such.tar", src);
  _h_free_ char *notimage = fmt("%s/notimage.tar", src);
  _h_free_ char *plain = h_dir_new("plain");
  _h_free_ char *junk = fmt("%s/junk", plain);
  h_write(junk, "junk\n");
  fx_tar_dir(plain, notimage);
  const char *sources[] = {missing, notimage, plain};
  for (size_t i = 0; i < 3; i++) {
    _h_result_ struct h_result r = RT(store, "image", "load", sources[i]);
    ck_assert_msg(r.status != 0 && r.status != -1, "image load %s: %d %s", sources[i], r.status,
                  r.out);
    ck_assert_msg(r.err[0], "image load %s failed without a message", sources[i]);
    assert_no_tmp(store, "a failed load");
    ck_assert_msg(store_is_empty(store), "a failed load of %s left: %s", sources[i],
                  store_snapshot(store));
  }
  /* and the store takes a good image after them */
  free(load_busybox(store, "after", "errors"));
}
END_TEST

/* HUSK_STORAGE names the store when --storage is not given. */
START_TEST(test_storage_from_environment) {
  HUSK_ONLY();
  _h_free_ char *store = h_dir_new("store");
  _fx_image_ struct fx_image *img = fx_image_busybox();
  _h_free_ char *layout = layout_of(img, "envstore", "1");
  setenv("HUSK_STORAGE", store, 1);
  _h_result_ struct h_result r = h_rt("image", "load", layout, NULL);
  unsetenv("HUSK_STORAGE");
  ck_assert_msg(r.status == 0, "image load with HUSK_STORAGE: %d %s", r.status, r.err);
  _h_free_ char *id = fx_image_id(img);
  _h_free_ char *image_json = fmt("%s/images/%s.json", store, id);
  ck_assert_msg(h_exists(image_json), "HUSK_STORAGE was not the store: no %s", image_json);
  _h_free_ char *q = image_ids(store);
  _h_free_ char *want = fmt("%.12s\n", id);
  ck_assert_str_eq(q, want);
}
END_TEST

/* ======================================================================================== */
/* inspect, tag, rm, prune */

START_TEST(test_inspect) {
  HUSK_ONLY();
  _h_free_ char *store = h_dir_new("store");
  _fx_image_ struct fx_image *img = fx_image_busybox();
  json_t *c = fx_image_config(img);
  json_object_set_new(c, "Entrypoint", json_pack("[ss]", "/bin/sh", "-c"));
  json_object_set_new(c, "Cmd", json_pack("[s]", "echo hi"));
  json_object_set_new(c, "Env", json_pack("[ss]", "FOO=bar", "PATH=/usr/bin:/bin"));
  json_object_set_new(c, "User", json_string("appuser"));
  json_object_set_new(c, "WorkingDir", json_string("/srv"));
  json_object_set_new(c, "ExposedPorts", json_pack("{s:{}}", "8080/tcp"));
  json_object_set_new(c, "Volumes", json_pack("{s:{}}", "/data"));
  json_object_set_new(c, "Labels", json_pack("{s:s}", "org.example.team", "blue"));
  json_object_set_new(c, "StopSignal", json_string("SIGUSR1"));
  json_object_set_new(c, "Healthcheck",
                      json_pack("{s:[ss], s:I, s:I, s:I, s:i}", "Test", "CMD-SHELL", "true",
                                "Interval", (json_int_t)1000000000, "Timeout",
                                (json_int_t)2000000000, "StartPeriod", (json_int_t)0, "Retries",
                                3));
  _h_free_ char *layout = layout_of(img, "inspected", "1.0");
  load_ok(store, layout, "Loaded image: inspected:1.0\n");
  _h_free_ char *id = fx_image_id(img);
  _h_free_ char *want_id = fmt("sha256:%s", id);

  _h_json_ json_t *o = inspect(store, "inspected:1.0");
  ck_assert_str_eq(json_string_value(json_object_get(o, "Id")), want_id);
  _h_json_ json_t *tags = json_pack("[s]", "inspected:1.0");
  ck_assert_msg(json_equal(json_object_get(o, "RepoTags"), tags), "RepoTags");
  ck_assert_str_eq(json_string_value(json_object_get(o, "Architecture")), "amd64");
  ck_assert_str_eq(json_string_value(json_object_get(o, "Os")), "linux");
  const char *created = json_string_value(json_object_get(o, "Created"));
  ck_assert_msg(created && strncmp(created, "2024-05-01T12:00:00", 19) == 0, "Created: %s",
                created);
  ck_assert_msg(json_is_integer(json_object_get(o, "Size")) &&
                    json_integer_value(json_object_get(o, "Size")) > 0,
                "Size");
  json_t *got = json_object_get(o, "Config");
  const char *key;
  json_t *value;
  json_object_foreach(c, key, value) {
    _h_free_ char *w = json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS);
    _h_free_ char *g =
        json_dumps(json_object_get(got, key), JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    ck_assert_msg(json_equal(json_object_get(got, key), value), "Config.%s is %s, want %s", key, g,
                  w);
  }
  _h_free_ char *rootfs = json_dumps(json_object_get(o, "RootFS"), JSON_COMPACT);
  _h_free_ char *diff = fmt("sha256:%s", fx_image_diff_id(img, 0));
  ck_assert_msg(rootfs && strstr(rootfs, diff), "RootFS %s lacks %s", rootfs, diff);

  /* by id: whole, 12 characters, 20 */
  _h_free_ char *p12 = fmt("%.12s", id), *p20 = fmt("%.20s", id);
  const char *refs[] = {id, p12, p20};
  for (size_t i = 0; i < 3; i++) {
    _h_free_ char *by = inspect_id(store, refs[i]);
    ck_assert_msg(strcmp(by, want_id) == 0, "inspect %s: %s", refs[i], by);
  }
  assert_ref_missing(store, "nosuch:tag");
  _h_result_ struct h_result r = RT(store, "image", "inspect", "nosuch:tag");
  ck_assert_msg(strstr(r.err, "nosuch"), "the error does not name the ref: %s", r.err);
  assert_ref_missing(store, "inspected:2.0");
}
END_TEST

START_TEST(test_tag_and_rm) {
  HUSK_ONLY();
  _h_free_ char *store = h_dir_new("store");
  _h_free_ char *id = load_busybox(store, "app", "1");
  _h_free_ char *want_id = fmt("sha256:%s", id);
  _h_free_ char *p12 = fmt("%.12s", id);
  _h_free_ char *image_json = fmt("%s/images/%s.json", store, id);

  _h_result_ struct h_result t1 = RT(store, "image", "tag", "app:1", "app:2");
  ck_assert_msg(t1.status == 0, "image tag: %d %s", t1.status, t1.err);
  _h_result_ struct h_result t2 = RT(store, "image", "tag", "app:1", "other");
  ck_assert_msg(t2.status == 0, "image tag: %d %s", t2.status, t2.err);
  _h_result_ struct h_result t3 = RT(store, "image", "tag", p12, "third/x:y");
  ck_assert_msg(t3.status == 0, "image tag by id: %d %s", t3.status, t3.err);
  _h_result_ struct h_result ls = RT(store, "images");
  char id12[13];
  ck_assert_msg(images_row(ls.out, "app", "1", id12) && strcmp(id12, p12) == 0, "%s", ls.out);
  ck_assert_msg(images_row(ls.out, "app", "2", id12) && strcmp(id12, p12) == 0, "%s", ls.out);
  ck_assert_msg(images_row(ls.out, "other", "latest", id12) && strcmp(id12, p12) == 0, "%s",
                ls.out);
  ck_assert_msg(images_row(ls.out, "third/x", "y", id12) && strcmp(id12, p12) == 0, "%s", ls.out);
  _h_json_ json_t *o = inspect(store, "other:latest");
  ck_assert_int_eq(json_array_size(json_object_get(o, "RepoTags")), 4);
  _h_result_ struct h_result bad = RT(store, "image", "tag", "nosuch:1", "x:1");
  ck_assert_msg(bad.status != 0 && bad.err[0], "tag of a missing image: %d", bad.status);

  /* rm takes a name away; the image stays while it has one */
  _h_result_ struct h_result rm1 = RT(store, "image", "rm", "app:2");
  ck_assert_msg(rm1.status == 0, "image rm app:2: %d %s", rm1.status, rm1.err);
  assert_ref_missing(store, "app:2");
  ck_assert_msg(h_exists(image_json), "image rm of one name of four removed the image");
  _h_free_ char *still = inspect_id(store, "app:1");
  ck_assert_str_eq(still, want_id);
  _h_result_ struct h_result rm2 = RT(store, "image", "rm", "other", "third/x:y");
  ck_assert_msg(rm2.status == 0, "image rm other third/x:y: %d %s", rm2.status, rm2.err);
  ck_assert_msg(h_exists(image_json), "the image went with a name left");
  _h_result_ struct h_result rm3 = RT(store, "image", "rm", "app:1");
  ck_assert_msg(rm3.status == 0, "image rm app:1: %d %s", rm3.status, rm3.err);
  ck_assert_msg(!h_exists(image_json), "the image stayed after its last name went");
  assert_ref_missing(store, p12);
  _h_free_ char *q = image_ids(store);
  ck_assert_str_eq(q, "");
  _h_result_ struct h_result rm4 = RT(store, "image", "rm", "app:1");
  ck_assert_msg(rm4.status != 0 && rm4.err[0], "image rm of a missing name: %d", rm4.status);

  /* With no image left, nothing of one is left. */
  _h_result_ struct h_result pr = RT(store, "image", "prune", "-a");
  ck_assert_msg(pr.status == 0, "image prune -a: %d %s", pr.status, pr.err);
  ck_assert_msg(store_is_empty(store), "no image is left, yet the store holds:\n%s",
                store_snapshot(store));
  assert_no_tmp(store, "image rm");

  /* rm by id of an image with several names is refused, as docker rmi does; with -f it
   * removes the image whatever names it has */
  _h_free_ char *id2 = load_busybox(store, "app", "1");
  ck_assert_str_eq(id2, id);
  _h_result_ struct h_result t4 = RT(store, "image", "tag", "app:1", "app:2");
  ck_assert_msg(t4.status == 0, "image tag: %d %s", t4.status, t4.err);
  _h_result_ struct h_result rm5a = RT(store, "image", "rm", p12);
  ck_assert_msg(rm5a.status != 0 && strstr(rm5a.err, "2 names"),
                "image rm by id of an image with 2 names: %d %s", rm5a.status, rm5a.err);
  ck_assert_msg(h_exists(image_json), "a refused image rm removed %s", image_json);
  _h_result_ struct h_result rm5 = RT(store, "image", "rm", "-f", p12);
  ck_assert_msg(rm5.status == 0, "image rm -f by id: %d %s", rm5.status, rm5.err);
  assert_ref_missing(store, "app:1");
  assert_ref_missing(store, "app:2");
  ck_assert_msg(!h_exists(image_json), "image rm by id left %s", image_json);
  _h_result_ struct h_result pr2 = RT(store, "image", "prune", "-a");
  ck_assert_msg(pr2.status == 0, "image prune -a: %d %s", pr2.status, pr2.err);
  ck_assert_msg(store_is_empty(store), "no image is left, yet the store holds:\n%s",
                store_snapshot(store));
}
END_TEST

/* prune: dangling images (their name taken by a newer load); -a: every image no container
 * uses. */
START_TEST(test_prune) {
  HUSK_ONLY();
  _h_free_ char *store = h_dir_new("store");
  _fx_image_ struct fx_image *a = fx_image_busybox();
  _fx_image_ struct fx_image *b = fx_image_busybox();
  _fx_image_ struct fx_image *c = fx_image_busybox();
  json_object_set_new(fx_image_config(a), "Labels", json_pack("{s:s}", "v", "a"));
  json_object_set_new(fx_image_config(b), "Labels", json_pack("{s:s}", "v", "b"));
  json_object_set_new(fx_image_config(c), "Cmd", json_pack("[ss]", "sleep", "1000"));
  _h_free_ char *la = layout_of(a, "app", "1"), *lb = layout_of(b, "app", "1");
  _h_free_ char *lc = layout_of(c, "svc", "1");
  _h_free_ char *ida = fx_image_id(a), *idb = fx_image_id(b), *idc = fx_image_id(c);
  load_ok(store, la, "Loaded image: app:1\n");
  load_ok(store, lb, "Loaded image: app:1\n");
  load_ok(store, lc, "Loaded image: svc:1\n");
  _h_free_ char *got = inspect_id(store, "app:1");
  _h_free_ char *want_b = fmt("sha256:%s", idb);
  ck_assert_str_eq(got, want_b);
  _h_free_ char *q = image_ids(store);
  ck_assert_msg(h_lines(q) == 3, "images -q: %s", q);
  _h_free_ char *qa = fmt("%.12s", ida);
  ck_assert_msg(has_line(q, qa), "the dangling image is not listed: %s", q);

  _h_result_ struct h_result p = RT(store, "image", "prune");
  ck_assert_msg(p.status == 0, "image prune: %d %s", p.status, p.err);
  assert_ref_missing(store, ida);
  _h_free_ char *after_b = inspect_id(store, idb);
  ck_assert_str_eq(after_b, want_b);
  free(inspect_id(store, "svc:1"));

  _h_free_ char *cid = h_id_new("prune");
  _h_result_ struct h_result r = RT(store, "run", "-d", "--name", cid, "svc:1");
  ck_assert_msg(r.status == 0, "run -d svc:1: %d %s", r.status, r.err);
  _h_result_ struct h_result pa = RT(store, "image", "prune", "-a");
  ck_assert_msg(pa.status == 0, "image prune -a: %d %s", pa.status, pa.err);
  assert_ref_missing(store, "app:1");
  assert_ref_missing(store, idb);
  _h_free_ char *idc_got = inspect_id(store, "svc:1");
  _h_free_ char *want_c = fmt("sha256:%s", idc);
  ck_assert_msg(strcmp(idc_got, want_c) == 0, "prune -a removed an image a container uses");
  _h_result_ struct h_result e = RT(store, "exec", cid, "cat", "/etc/image-name");
  ck_assert_msg(e.status == 0 && strcmp(e.out, "busybox\n") == 0,
                "the container's root after prune -a: %d %s %s", e.status, e.out, e.err);
  remove_container(store, cid);
  _h_result_ struct h_result pa2 = RT(store, "image", "prune", "-a");
  ck_assert_msg(pa2.status == 0, "image prune -a: %d %s", pa2.status, pa2.err);
  assert_ref_missing(store, "svc:1");
  ck_assert_msg(store_is_empty(store), "prune -a left:\n%s", store_snapshot(store));
  assert_no_tmp(store, "image prune");
}
END_TEST

/* rm of an image a container uses is refused, naming the container; after delete it works. */
START_TEST(test_rm_refused_while_used) {
  HUSK_ONLY();
  _h_free_ char *store = h_dir_new("store");
  _h_free_ char *id = load_busybox(store, "used", "1");
  _h_free_ char *cid = h_id_new("used");
  _h_result_ struct h_result r = RT(store, "run", "-d", "--name", cid, "used:1", "sleep", "1000");
  ck_assert_msg(r.status == 0, "run -d: %d %s", r.status, r.err);
  _h_free_ char *p12 = fmt("%.12s", id);
  const char *refs[] = {"used:1", p12};
  for (size_t i = 0; i < 2; i++) {
    _h_result_ struct h_result rm = RT(store, "image", "rm", refs[i]);
    ck_assert_msg(rm.status != 0, "image rm %s of a running container's image succeeded", refs[i]);
    ck_assert_msg(strstr(rm.err, cid), "the refusal does not name the container %s: %s", cid,
                  rm.err);
    free(inspect_id(store, "used:1"));
  }
  /* stopped, not deleted: its root still stands on the layers */
  _h_result_ struct h_result k = RT(store, "kill", cid, "KILL");
  ck_assert_msg(k.status == 0, "kill: %d %s", k.status, k.err);
  ck_assert(h_wait_status(cid, "stopped", 10000));
  _h_result_ struct h_result rm2 = RT(store, "image", "rm", "used:1");
  ck_assert_msg(rm2.status != 0 && strstr(rm2.err, cid),
                "image rm of a stopped container's image: %d %s", rm2.status, rm2.err);
  remove_container(store, cid);
  _h_result_ struct h_result rm3 = RT(store, "image", "rm", "used:1");
  ck_assert_msg(rm3.status == 0, "image rm after delete: %d %s", rm3.status, rm3.err);
  assert_ref_missing(store, "used:1");
}
END_TEST

/* ======================================================================================== */
/* layers */

/* Three layers: the second deletes a file and a directory (whiteouts), the third replaces a
 * directory with an opaque one. */
/* More layers than one overlay option string takes before Linux 6.8 (about 60 of 64 hex
 * digits each): lowerdir+ on a new kernel, the layers copied on an old one (the VM's). Each
 * layer adds a file and replaces the previous layer's "top". */
START_TEST(test_many_layers) {
  HUSK_ONLY();
  _h_free_ char *store = h_dir_new("store");
  _fx_image_ struct fx_image *img = fx_image_busybox();
  enum { EXTRA = 80 };
  for (int i = 0; i < EXTRA; i++) {
    struct fx_layer *l = fx_layer_new(FX_NONE);
    _h_free_ char *name = fmt("many/f%02d", i);
    _h_free_ char *top = fmt("top-%d\n", i);
    if (i == 0)
      fx_layer_dir(l, "many", 0755, 0, 0);
    fx_layer_text(l, name, "x\n", 0644);
    fx_layer_text(l, "many/top", top, 0644);
    fx_image_add_layer(img, l);
  }
  _h_free_ char *layout = layout_of(img, "many", "1");
  load_ok(store, layout, "Loaded image: many:1\n");
  _h_free_ char *cid = h_id_new("many");
  _h_result_ struct h_result r =
      RT(store, "run", "--name", cid, "many:1", "sh", "-c", "ls /many | wc -l; cat /many/top");
  assert_fg_run_gone(store, cid, &r);
  ck_assert_msg(r.status == 0, "run: %d %s", r.status, r.err);
  _h_free_ char *want = fmt("%d\ntop-%d\n", EXTRA + 1, EXTRA - 1);
  ck_assert_str_eq(r.out, want);
}
END_TEST

/* The three-layer image seen from inside; without_overlay: as a kernel without overlayfs
 * gets it (the test builds' HUSK_TEST_NO_OVERLAY), the layers copied. */
static void check_layered_image(bool without_overlay) {
  _h_free_ char *store = h_dir_new("store");
  _fx_image_ struct fx_image *img = fx_image_new();
  struct fx_layer *l1 = fx_layer_new(FX_GZIP);
  fx_layer_busybox(l1);
  fx_layer_dir(l1, "data", 0755, 0, 0);
  fx_layer_text(l1, "data/keep", "keep\n", 0644);
  fx_layer_text(l1, "data/gone", "gone\n", 0644);
  fx_layer_dir(l1, "olddir", 0755, 0, 0);
  fx_layer_text(l1, "olddir/f", "f\n", 0644);
  fx_layer_dir(l1, "dir", 0755, 0, 0);
  fx_layer_text(l1, "dir/old1", "old1\n", 0644);
  fx_layer_dir(l1, "dir/sub", 0755, 0, 0);
  fx_layer_text(l1, "dir/sub/old2", "old2\n", 0644);
  fx_image_add_layer(img, l1);
  struct fx_layer *l2 = fx_layer_new(FX_ZSTD);
  fx_layer_dir(l2, "data", 0755, 0, 0);
  fx_layer_whiteout(l2, "data/gone");
  fx_layer_text(l2, "data/new", "new\n", 0644);
  fx_layer_whiteout(l2, "olddir");
  fx_image_add_layer(img, l2);
  struct fx_layer *l3 = fx_layer_new(FX_NONE);
  fx_layer_dir(l3, "dir", 0755, 0, 0);
  fx_layer_opaque(l3, "dir");
  fx_layer_text(l3, "dir/fresh", "fresh\n", 0644);
  fx_image_add_layer(img, l3);
  _h_free_ char *layout = layout_of(img, "layered", "1");
  load_ok(store, layout, "Loaded image: layered:1\n");
  for (size_t i = 0; i < 3; i++) {
    _h_free_ char *chain = fx_image_chain_id(img, i);
    _h_free_ char *dir = fmt("%s/layers/%s", store, chain);
    ck_assert_msg(h_exists(dir), "layer %zu is not at %s", i, dir);
  }
  _h_free_ char *cid = h_id_new("layered");
  if (without_overlay)
    setenv("HUSK_TEST_NO_OVERLAY", "1", 1);
  _h_result_ struct h_result r =
      RT(store, "run", "--name", cid, "layered:1", "sh", "-c",
         "ls -A /data; echo --; ls -A /dir; echo --; "
         "test -e /olddir && echo olddir-present || echo olddir-gone; "
         "cat /data/keep /data/new /dir/fresh; echo --; find / -xdev -name '.wh.*'; "
         "grep -c ' / / .* - overlay ' /proc/self/mountinfo; echo end");
  unsetenv("HUSK_TEST_NO_OVERLAY");
  assert_fg_run_gone(store, cid, &r);
  ck_assert_msg(r.status == 0, "run: %d %s", r.status, r.err);
  ck_assert_str_eq(r.out,
                   without_overlay
                       ? "keep\nnew\n--\nfresh\n--\nolddir-gone\nkeep\nnew\nfresh\n--\n0\nend\n"
                       : "keep\nnew\n--\nfresh\n--\nolddir-gone\nkeep\nnew\nfresh\n--\n1\nend\n");
  ck_assert_msg(!without_overlay || strstr(r.err, "overlayfs is not available"),
                "no word of the copy on stderr: %s", r.err);
}

START_TEST(test_whiteout_and_opaque) {
  HUSK_ONLY();
  check_layered_image(false);
}
END_TEST

/* Only the test builds (-Dtest_hooks=true) can be told overlayfs is missing. */
START_TEST(test_layers_copied_without_overlay) {
  HUSK_ONLY();
  if (!getenv("HUSK_TEST_HOOKS")) {
    fprintf(stderr, "test_layers_copied_without_overlay: skipped (needs -Dtest_hooks=true)\n");
    return;
  }
  check_layered_image(true);
}
END_TEST

START_TEST(test_hardlinks) {
  HUSK_ONLY();
  _h_free_ char *store = h_dir_new("store");
  _fx_image_ struct fx_image *img = fx_image_busybox();
  struct fx_layer *l = fx_layer_new(FX_GZIP);
  fx_layer_dir(l, "data", 0755, 0, 0);
  fx_layer_text(l, "data/a", "shared\n", 0640);
  fx_layer_hardlink(l, "data/b", "data/a");
  fx_layer_dir(l, "data/sub", 0755, 0, 0);
  fx_layer_hardlink(l, "data/sub/c", "data/a");
  fx_image_add_layer(img, l);
  _h_free_ char *layout = layout_of(img, "links", "1");
  load_ok(store, layout, "Loaded image: links:1\n");
  _h_free_ char *cid = h_id_new("links");
  _h_result_ struct h_result r =
      RT(store, "run", "--name", cid, "links:1", "sh", "-c",
         "stat -c '%i %h %a' /data/a /data/b /data/sub/c; cat /data/sub/c");
  assert_fg_run_gone(store, cid, &r);
  ck_assert_msg(r.status == 0, "run: %d %s", r.status, r.err);
  unsigned long ino[3];
  int links[3];
  char perm[3][8];
  ck_assert_msg(sscanf(r.out, "%lu %d %7s\n%lu %d %7s\n%lu %d %7s\n", &ino[0], &links[0], perm[0],
                       &ino[1], &links[1], perm[1], &ino[2], &links[2], perm[2]) == 9,
                "stat: %s", r.out);
  ck_assert_msg(ino[0] == ino[1] && ino[1] == ino[2], "three inodes: %s", r.out);
  ck_assert_msg(links[0] == 3, "link count: %s", r.out);
  ck_assert_str_eq(perm[2], "640");
  ck_assert_msg(strstr(r.out, "\nshared\n"), "content: %s", r.out);
}
END_TEST

/* Modes, owners and mtimes of entries; gzip, zstd and uncompressed layers in one image. */
START_TEST(test_compressions_and_metadata) {
  HUSK_ONLY();
  _h_free_ char *store = h_dir_new("store");
  _fx_image_ struct fx_image *img = fx_image_busybox();
  struct fx_layer *z = fx_layer_new(FX_ZSTD);
  fx_layer_dir(z, "data", 0755, 0, 0);
  fx_layer_file(z, "data/z", "zstd\n", 5, 0600, 1000, 50, 1600000000LL);
  fx_layer_dir(z, "data/d", 0710, 1000, 1000);
  fx_image_add_layer(img, z);
  struct fx_layer *n = fx_layer_new(FX_NONE);
  fx_layer_dir(n, "data", 0755, 0, 0);
  fx_layer_file(n, "data/n", "none\n", 5, 0750, 0, 50, 1600000001LL);
  fx_layer_symlink(n, "data/link", "../etc/image-name");
  fx_image_add_layer(img, n);
  _h_free_ char *layout = layout_of(img, "meta", "1");
  load_ok(store, layout, "Loaded image: meta:1\n");
  _h_free_ char *cid = h_id_new("meta");
  _h_result_ struct h_result r =
      RT(store, "run", "--name", cid, "meta:1", "sh", "-c",
         "stat -c '%n %a %u %g %Y' /data/z /data/n; stat -c '%n %a %u %g' /data/d; "
         "cat /data/z /data/n; readlink /data/link; cat /data/link; stat -c %a /tmp");
  assert_fg_run_gone(store, cid, &r);
  ck_assert_msg(r.status == 0, "run: %d %s", r.status, r.err);
  ck_assert_str_eq(r.out, "/data/z 600 1000 50 1600000000\n"
                          "/data/n 750 0 50 1600000001\n"
                          "/data/d 710 1000 1000\n"
                          "zstd\nnone\n../etc/image-name\nbusybox\n1777\n");
}
END_TEST

/* ======================================================================================== */
/* hostile images */

/* A host directory a hostile layer aims at; empty. */
static char *host_target(const char *what) {
  _h_free_ char *tmpl = fmt("/tmp/husk-image-%s-%d-XXXXXX", what, (int)getpid());
  ck_assert(mkdtemp(tmpl));
  return fmt("%s", tmpl);
}

static void rm_host_target(const char *dir) {
  _h_free_ char *list = list_dir(dir);
  for (char *save, *n = strtok_r(list, "\n", &save); n; n = strtok_r(NULL, "\n", &save)) {
    _h_free_ char *p = fmt("%s/%s", dir, n);
    unlink(p);
  }
  rmdir(dir);
}

/* A store holding a good image (so a load that fails for want of image support fails the
 * test), and its snapshot. */
static char *store_with_good_image(char **ret_snapshot) {
  char *store = h_dir_new("store");
  free(load_busybox(store, "good", "1"));
  *ret_snapshot = store_snapshot(store);
  return store;
}

/* A refused load: an error naming what, and the store as it was. */
static void assert_refused(const char *store, const struct h_result *r, const char *what,
                           const char *before) {
  ck_assert_msg(r->status != -1, "image load hung");
  ck_assert_msg(r->status != 0, "the hostile image was loaded: %s", r->out);
  ck_assert_msg(strstr(r->err, what), "the error does not name %s: %s", what, r->err);
  assert_no_tmp(store, "a refused load");
  _h_free_ char *after = store_snapshot(store);
  ck_assert_msg(strcmp(after, before) == 0, "a refused load changed the store:\n%s\nwas:\n%s",
                after, before);
}

/* Layer 1 makes symlinks to a host directory (absolute and by ../), layer 2 writes through
 * them: the files land in the layer, or the load is refused naming them; never on the host. */
START_TEST(test_symlink_then_write_through_it_across_layers) {
  HUSK_ONLY();
  _h_free_ char *before = NULL;
  _h_free_ char *store = store_with_good_image(&before);
  _h_free_ char *host = host_target("escape");
  _fx_image_ struct fx_image *img = fx_image_new();
  struct fx_layer *l1 = fx_layer_new(FX_GZIP);
  fx_layer_busybox(l1);
  fx_layer_symlink(l1, "evil", host);
  _h_free_ char *rel = fmt("../../../../../../../../../../..%s", host);
  fx_layer_symlink(l1, "evil2", rel);
  fx_image_add_layer(img, l1);
  struct fx_layer *l2 = fx_layer_new(FX_GZIP);
  fx_layer_raw(l2, "evil/pwned", "pwned\n", NULL);
  fx_layer_raw(l2, "evil2/pwned2", "pwned2\n", NULL);
  fx_image_add_layer(img, l2);
  _h_free_ char *layout = layout_of(img, "escape", "1");
  _h_result_ struct h_result r = RT(store, "image", "load", layout);
  _h_free_ char *left = list_dir(host);
  struct h_result run = {.status = 0};
  _h_free_ char *left_after_run = NULL;
  if (r.status == 0) {
    _h_free_ char *cid = h_id_new("escape");
    run = RT(store, "run", "--name", cid, "escape:1", "sh", "-c",
             "cat /evil/pwned /evil2/pwned2 2>&1; true");
    left_after_run = list_dir(host);
  }
  rm_host_target(host);
  ck_assert_msg(left[0] == '\0', "image load wrote through a symlink onto the host: %s", left);
  ck_assert_msg(!left_after_run || left_after_run[0] == '\0',
                "run wrote through a symlink onto the host: %s", left_after_run);
  if (r.status != 0) {
    assert_refused(store, &r, "evil", before);
  } else {
    assert_no_tmp(store, "image load");
    _h_free_ char *layers = store_path(store, "layers");
    _h_free_ char *in1 = find_named(layers, "pwned"), *in2 = find_named(layers, "pwned2");
    ck_assert_msg(in1 && in2, "the files written through the links are not in the layers");
    ck_assert_msg(run.status == 0, "run: %d %s", run.status, run.err);
  }
  h_result_free(&run);
}
END_TEST

/* One layer makes a symlink and writes through it: refused. */
START_TEST(test_symlink_then_write_through_it_in_one_layer) {
  HUSK_ONLY();
  _h_free_ char *before = NULL;
  _h_free_ char *store = store_with_good_image(&before);
  _h_free_ char *host = host_target("samelayer");
  _fx_image_ struct fx_image *img = fx_image_busybox();
  struct fx_layer *l = fx_layer_new(FX_GZIP);
  fx_layer_symlink(l, "link", host);
  fx_layer_raw(l, "link/pwned", "pwned\n", NULL);
  fx_image_add_layer(img, l);
  _h_free_ char *layout = layout_of(img, "samelayer", "1");
  _h_result_ struct h_result r = RT(store, "image", "load", layout);
  _h_free_ char *left = list_dir(host);
  rm_host_target(host);
  ck_assert_msg(left[0] == '\0', "image load wrote through a symlink onto the host: %s", left);
  _h_free_ char *found = find_named(store, "pwned");
  ck_assert_msg(!found, "%s was written", found);
  assert_refused(store, &r, "link/pwned", before);
}
END_TEST

/* A hardlink whose target is a host file by ../: refused, naming it; the host file keeps its
 * one link. */
START_TEST(test_hardlink_out_of_layer) {
  HUSK_ONLY();
  _h_free_ char *before = NULL;
  _h_free_ char *store = store_with_good_image(&before);
  _h_free_ char *host = host_target("hardlink");
  _h_free_ char *victim = fmt("%s/victim", host);
  h_write(victim, "host file\n");
  _fx_image_ struct fx_image *img = fx_image_busybox();
  struct fx_layer *l = fx_layer_new(FX_GZIP);
  _h_free_ char *target = fmt("../../../../../../../../../../..%s", victim);
  fx_layer_hardlink(l, "stolen", target);
  fx_image_add_layer(img, l);
  _h_free_ char *layout = layout_of(img, "hardlink", "1");
  _h_result_ struct h_result r = RT(store, "image", "load", layout);
  struct stat st;
  int rc = stat(victim, &st);
  _h_free_ char *content = h_read(victim);
  rm_host_target(host);
  ck_assert(rc == 0);
  ck_assert_msg(st.st_nlink == 1, "the host file got %d links", (int)st.st_nlink);
  ck_assert_str_eq(content, "host file\n");
  assert_refused(store, &r, "stolen", before);
}
END_TEST

/* Member names that leave the layer: ../ (to the host's /tmp, and one level up, into the
 * store), absolute, ../ in the middle. Each load fails, names the member, writes nothing. */
START_TEST(test_dotdot_and_absolute_names) {
  HUSK_ONLY();
  int pid = (int)getpid();
  _h_free_ char *n1 = fmt("husk-image-dotdot-%d", pid), *n2 = fmt("husk-image-up-%d", pid);
  _h_free_ char *n3 = fmt("husk-image-abs-%d", pid), *n4 = fmt("husk-image-mid-%d", pid);
  _h_free_ char *m1 = fmt("../../../../../../../../../../../tmp/%s", n1);
  _h_free_ char *m2 = fmt("../%s", n2);
  _h_free_ char *m3 = fmt("/tmp/%s", n3);
  _h_free_ char *m4 = fmt("etc/../../%s", n4);
  const char *names[] = {n1, n2, n3, n4};
  const char *members[] = {m1, m2, m3, m4};
  _h_free_ char *work = h_dir_new("dotdot");
  for (size_t i = 0; i < 4; i++) {
    _h_free_ char *store = fmt("%s/store%zu", work, i);
    ck_assert_int_eq(mkdir(store, 0755), 0);
    _fx_image_ struct fx_image *img = fx_image_busybox();
    struct fx_layer *l = fx_layer_new(FX_GZIP);
    fx_layer_text(l, "etc/fine", "fine\n", 0644);
    fx_layer_raw(l, members[i], "escaped\n", NULL);
    fx_image_add_layer(img, l);
    _h_free_ char *layout = fmt("%s/layout%zu", work, i);
    fx_layout_write(img, layout, "1");
    _h_result_ struct h_result r = RT(store, "image", "load", layout);
    _h_free_ char *on_host = fmt("/tmp/%s", names[i]);
    bool escaped = h_exists(on_host);
    unlink(on_host);
    ck_assert_msg(!escaped, "%s was written onto the host at %s", members[i], on_host);
    _h_free_ char *found = find_named(work, names[i]);
    ck_assert_msg(!found, "%s was written at %s", members[i], found);
    ck_assert_msg(r.status != 0 && r.status != -1, "a layer with member %s was loaded: %d",
                  members[i], r.status);
    ck_assert_msg(strstr(r.err, names[i]), "the error does not name the member %s: %s", members[i],
                  r.err);
    assert_no_tmp(store, "a refused load");
    ck_assert_msg(store_is_empty(store), "a refused load left:\n%s", store_snapshot(store));
  }
}
END_TEST

/* A layer whose content does not match its digest (its size does): refused, naming the blob;
 * the store is as it was. */
START_TEST(test_wrong_layer_digest) {
  HUSK_ONLY();
  _h_free_ char *store = h_dir_new("store");
  _h_free_ char *good = load_busybox(store, "good", "1");
  _h_free_ char *before = store_snapshot(store);
  _fx_image_ struct fx_image *img = fx_image_busybox();
  struct fx_layer *l = fx_layer_new(FX_NONE);
  fx_layer_dir(l, "data", 0755, 0, 0);
  fx_layer_text(l, "data/payload", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-payload\n", 0644);
  fx_image_add_layer(img, l);
  _h_free_ char *layout = layout_of(img, "bad", "1");
  const char *digest = fx_image_layer_digest(img, 1);
  fx_blob_patch(layout, digest, "AAAAAAAA-payload", "BBBBBBBB-payload");
  _h_result_ struct h_result r = RT(store, "image", "load", layout);
  ck_assert_msg(r.status != 0 && r.status != -1, "a layer with a wrong digest was loaded: %d %s",
                r.status, r.out);
  _h_free_ char *named = fmt("sha256:%s", digest);
  ck_assert_msg(strstr(r.err, named), "the error does not name the blob %s: %s", named, r.err);
  assert_no_tmp(store, "a refused load");
  _h_free_ char *after = store_snapshot(store);
  ck_assert_str_eq(after, before);
  assert_ref_missing(store, "bad:1");
  _h_free_ char *q = image_ids(store);
  _h_free_ char *want = fmt("%.12s\n", good);
  ck_assert_str_eq(q, want);
}
END_TEST

/* A gzip layer cut short, its digest and size those of what is there: refused, naming the
 * blob; the store is as it was. */
START_TEST(test_truncated_gzip_layer) {
  HUSK_ONLY();
  _h_free_ char *store = h_dir_new("store");
  _h_free_ char *good = load_busybox(store, "good", "1");
  _h_free_ char *before = store_snapshot(store);
  _fx_image_ struct fx_image *img = fx_image_busybox();
  struct fx_layer *l = fx_layer_new(FX_GZIP);
  fx_layer_dir(l, "data", 0755, 0, 0);
  fx_layer_random(l, "data/random", 256 * 1024); /* > 256 KiB compressed */
  fx_layer_truncate(l, 100 * 1000);
  fx_image_add_layer(img, l);
  ck_assert_int_eq(fx_image_layer_size(img, 1), 100 * 1000);
  _h_free_ char *layout = layout_of(img, "cut", "1");
  const char *digest = fx_image_layer_digest(img, 1);
  _h_result_ struct h_result r = RT(store, "image", "load", layout);
  ck_assert_msg(r.status != 0 && r.status != -1, "a truncated layer was loaded: %d %s", r.status,
                r.out);
  _h_free_ char *named = fmt("sha256:%s", digest);
  ck_assert_msg(strstr(r.err, named), "the error does not name the blob %s: %s", named, r.err);
  assert_no_tmp(store, "a refused load");
  _h_free_ char *after = store_snapshot(store);
  ck_assert_str_eq(after, before);
  assert_ref_missing(store, "cut:1");
  _h_free_ char *q = image_ids(store);
  _h_free_ char *want = fmt("%.12s\n", good);
  ck_assert_str_eq(q, want);
}
END_TEST

/* Some entry in tmp/ or blobs/: the load has started writing. */
static bool load_started(const char *store) {
  _h_free_ char *tmp = store_path(store, "tmp"), *blobs = store_path(store, "blobs/sha256");
  _h_free_ char *a = list_dir(tmp), *b = list_dir(blobs);
  return a[0] || b[0];
}

/* `image load` killed with SIGKILL at several points of a big load; then a load succeeds, the
 * image runs and tmp/ is empty. */
/* Loads of one image at once: they wait for each other on the layer locks, each layer is
 * unpacked once, all of them succeed, and nothing is left in tmp/. Two different images
 * loading at once do not wait for each other (not timed here: both must just succeed). */
START_TEST(test_concurrent_loads) {
  HUSK_ONLY();
  _h_free_ char *store = h_dir_new("store");
  _fx_image_ struct fx_image *img = fx_image_busybox();
  struct fx_layer *l = fx_layer_new(FX_GZIP);
  fx_layer_random(l, "big", 16u << 20);
  fx_image_add_layer(img, l);
  _h_free_ char *layout = layout_of(img, "same", "1");
  _fx_image_ struct fx_image *other = fx_image_busybox();
  json_object_set_new(fx_image_config(other), "Cmd", json_pack("[s]", "true"));
  struct fx_layer *lo = fx_layer_new(FX_NONE);
  fx_layer_text(lo, "other", "other\n", 0644);
  fx_image_add_layer(other, lo);
  _h_free_ char *other_layout = layout_of(other, "other", "1");
  struct h_proc *p[4];
  for (int i = 0; i < 3; i++)
    p[i] = RT_SPAWN(store, "image", "load", layout);
  p[3] = RT_SPAWN(store, "image", "load", other_layout);
  for (int i = 0; i < 4; i++) {
    _h_result_ struct h_result r = h_proc_wait(p[i], H_TIMEOUT_MS);
    ck_assert_msg(r.status == 0, "concurrent load %d: %d %s", i, r.status, r.err);
  }
  assert_no_tmp(store, "concurrent loads");
  _h_free_ char *layers = store_path(store, "layers");
  int n = 0;
  DIR *d = opendir(layers);
  ck_assert_ptr_nonnull(d);
  for (struct dirent *de; (de = readdir(d));)
    n += de->d_name[0] != '.';
  closedir(d);
  /* busybox base (shared), the big layer, the other image's layer */
  ck_assert_int_eq(n, 3);
  _h_free_ char *cid = h_id_new("same");
  _h_result_ struct h_result run =
      RT(store, "run", "--name", cid, "same:1", "sh", "-c", "wc -c < /big");
  assert_fg_run_gone(store, cid, &run);
  ck_assert_msg(run.status == 0 && strcmp(run.out, "16777216\n") == 0, "run: %d %s %s", run.status,
                run.out, run.err);
}
END_TEST

START_TEST(test_load_killed_then_again) {
  HUSK_ONLY();
  _h_free_ char *store = h_dir_new("store");
  _fx_image_ struct fx_image *img = fx_image_busybox();
  struct fx_layer *l = fx_layer_new(FX_GZIP);
  fx_layer_random(l, "big1", 24u << 20);
  fx_image_add_layer(img, l);
  struct fx_layer *l2 = fx_layer_new(FX_NONE);
  fx_layer_random(l2, "big2", 16u << 20);
  fx_image_add_layer(img, l2);
  _h_free_ char *layout = layout_of(img, "big", "1");
  _h_free_ char *id = fx_image_id(img);
  const int delays[] = {0, 20, 80, 200, 400};
  int killed = 0;
  for (size_t i = 0; i < sizeof(delays) / sizeof(delays[0]); i++) {
    struct h_proc *p = RT_SPAWN(store, "image", "load", layout);
    long long deadline = now_ms() + 5000;
    while (!load_started(store) && now_ms() < deadline)
      sleep_ms(1);
    sleep_ms(delays[i]);
    kill(-h_proc_pid(p), SIGKILL);
    _h_result_ struct h_result r = h_proc_wait(p, H_TIMEOUT_MS);
    if (r.status == 128 + SIGKILL)
      killed++;
    else
      ck_assert_msg(r.status == 0, "image load (to be killed after %d ms): %d %s", delays[i],
                    r.status, r.err);
    /* The store stays usable: images works, and an image it lists is whole. */
    _h_result_ struct h_result ls = RT(store, "images", "-q");
    ck_assert_msg(ls.status == 0, "images after a killed load: %d %s", ls.status, ls.err);
    if (ls.out[0]) {
      _h_free_ char *want = fmt("%.12s\n", id);
      ck_assert_msg(strcmp(ls.out, want) == 0, "images after a killed load: %s", ls.out);
      _h_free_ char *cid = h_id_new("bigpartial");
      _h_result_ struct h_result run =
          RT(store, "run", "--name", cid, "big:1", "sh", "-c", "wc -c < /big1; wc -c < /big2");
      ck_assert_msg(run.status == 0 && strcmp(run.out, "25165824\n16777216\n") == 0,
                    "an image listed after a killed load is not whole: %d %s %s", run.status,
                    run.out, run.err);
      assert_no_container_dir(store, cid);
    }
  }
  fprintf(stderr, "test: %d of 5 loads were killed before they ended\n", killed);
  ck_assert_msg(killed > 0, "no load was killed before it ended: the test tested nothing");
  load_ok(store, layout, "Loaded image: big:1\n");
  _h_free_ char *q = image_ids(store);
  _h_free_ char *want = fmt("%.12s\n", id);
  ck_assert_str_eq(q, want);
  _h_free_ char *cid = h_id_new("big");
  _h_result_ struct h_result run =
      RT(store, "run", "--name", cid, "big:1", "sh", "-c", "wc -c < /big1; wc -c < /big2");
  assert_fg_run_gone(store, cid, &run);
  ck_assert_msg(run.status == 0, "run: %d %s", run.status, run.err);
  ck_assert_str_eq(run.out, "25165824\n16777216\n");
  /* Only this image's layers are left. */
  _h_free_ char *layers_dir = store_path(store, "layers");
  _h_free_ char *layers = list_dir(layers_dir);
  _h_free_ char *c0 = fx_image_chain_id(img, 0), *c1 = fx_image_chain_id(img, 1),
                *c2 = fx_image_chain_id(img, 2);
  ck_assert_msg(h_lines(layers) == 3 && has_line(layers, c0) && has_line(layers, c1) &&
                    has_line(layers, c2),
                "layers/ after the killed loads and a good one:\n%s", layers);
}
END_TEST

/* ======================================================================================== */
/* containers of an image */

/* Two containers of one image: each one's writes (new file, changed file, deleted file) are
 * its own, the layers do not change, nothing is mounted on the host. */
START_TEST(test_two_containers_isolated) {
  HUSK_ONLY();
  _h_free_ char *store = h_dir_new("store");
  _fx_image_ struct fx_image *img = fx_image_busybox();
  json_object_set_new(fx_image_config(img), "Cmd", json_pack("[ss]", "sleep", "1000"));
  _h_free_ char *layout = layout_of(img, "shared", "1");
  load_ok(store, layout, "Loaded image: shared:1\n");
  _h_free_ char *chain = fx_image_chain_id(img, 0);
  _h_free_ char *layer_passwd = fmt("%s/layers/%s/etc/passwd", store, chain);
  _h_free_ char *layer_hostname = fmt("%s/layers/%s/etc/image-name", store, chain);
  _h_free_ char *passwd_before = h_read(layer_passwd);
  ck_assert_msg(passwd_before, "no %s", layer_passwd);
  int mounts_before = h_mount_count();

  _h_free_ char *a = h_id_new("iso-a"), *b = h_id_new("iso-b");
  _h_result_ struct h_result ra = RT(store, "run", "-d", "--name", a, "shared:1");
  ck_assert_msg(ra.status == 0, "run -d a: %d %s", ra.status, ra.err);
  _h_result_ struct h_result rb = RT(store, "run", "-d", "--name", b, "shared:1");
  ck_assert_msg(rb.status == 0, "run -d b: %d %s", rb.status, rb.err);
  ck_assert_msg(h_mount_count() == mounts_before && !h_mounted_under(store),
                "the containers' roots show in the host's mount table");
  _h_free_ char *dir_a = fmt("%s/containers/%s", store, a);
  ck_assert_msg(h_exists(dir_a), "no %s while it runs", dir_a);
  /* Inside, the root is the overlay. */
  _h_result_ struct h_result root =
      RT(store, "exec", a, "sh", "-c", "grep ' / / ' /proc/self/mountinfo | grep -c ' - overlay '");
  ck_assert_msg(root.status == 0 && strcmp(root.out, "1\n") == 0,
                "the container's root is not an overlay: %d %s %s", root.status, root.out,
                root.err);

  _h_result_ struct h_result wa =
      RT(store, "exec", a, "sh", "-c",
         "echo a > /etc/mark-a && echo changed >> /etc/passwd && rm /etc/image-name");
  ck_assert_msg(wa.status == 0, "exec a: %d %s", wa.status, wa.err);
  _h_result_ struct h_result wb = RT(store, "exec", b, "sh", "-c", "echo b > /etc/mark-b");
  ck_assert_msg(wb.status == 0, "exec b: %d %s", wb.status, wb.err);
  const char *look = "ls /etc | grep mark; cat /etc/image-name 2>/dev/null || echo no-hostname; "
                     "grep -c changed /etc/passwd; true";
  _h_result_ struct h_result sa = RT(store, "exec", a, "sh", "-c", look);
  ck_assert_msg(sa.status == 0, "exec a: %d %s", sa.status, sa.err);
  ck_assert_str_eq(sa.out, "mark-a\nno-hostname\n1\n");
  _h_result_ struct h_result sb = RT(store, "exec", b, "sh", "-c", look);
  ck_assert_msg(sb.status == 0, "exec b: %d %s", sb.status, sb.err);
  ck_assert_str_eq(sb.out, "mark-b\nbusybox\n0\n");

  /* The layer is as loaded; a's writes are in a's storage. */
  _h_free_ char *passwd_after = h_read(layer_passwd);
  ck_assert_msg(passwd_after && strcmp(passwd_after, passwd_before) == 0,
                "the layer's etc/passwd changed");
  ck_assert_msg(h_exists(layer_hostname), "the layer's etc/image-name was deleted");
  _h_free_ char *layers = store_path(store, "layers");
  _h_free_ char *in_layers = find_named(layers, "mark-a");
  ck_assert_msg(!in_layers, "a container wrote into the layers: %s", in_layers);
  _h_free_ char *in_a = find_named(dir_a, "mark-a");
  ck_assert_msg(in_a, "mark-a is not under %s", dir_a);
  _h_free_ char *dir_b = fmt("%s/containers/%s", store, b);
  _h_free_ char *a_in_b = find_named(dir_b, "mark-a");
  ck_assert_msg(!a_in_b, "a's file is in b's storage: %s", a_in_b);

  remove_container(store, a);
  remove_container(store, b);
  ck_assert_int_eq(h_mount_count(), mounts_before);
  _h_free_ char *containers = store_path(store, "containers");
  _h_free_ char *left = list_dir(containers);
  ck_assert_msg(left[0] == '\0', "containers/ after delete: %s", left);
}
END_TEST

/* The image's Entrypoint, Cmd, Env, User (a name with a supplementary group) and WorkingDir
 * (made, owned by the user); args, --entrypoint and -u override them. */
START_TEST(test_image_config_honoured_and_overridden) {
  HUSK_ONLY();
  _h_free_ char *store = h_dir_new("store");
  _fx_image_ struct fx_image *img = fx_image_busybox();
  struct fx_layer *l = fx_layer_new(FX_GZIP);
  fx_layer_text(l, "entry.sh",
                "#!/bin/sh\n"
                "echo \"args=$*\"\n"
                "echo \"uid=$(id -u)\"\n"
                "echo \"gid=$(id -g)\"\n"
                "echo \"groups=$(id -G)\"\n"
                "echo \"cwd=$(pwd)\"\n"
                "echo \"owner=$(stat -c %u:%g .)\"\n"
                "echo \"FOO=$FOO\"\n"
                "echo \"PATH=$PATH\"\n",
                0755);
  fx_image_add_layer(img, l);
  json_t *c = fx_image_config(img);
  json_object_set_new(c, "Entrypoint", json_pack("[s]", "/entry.sh"));
  json_object_set_new(c, "Cmd", json_pack("[s]", "default-arg"));
  json_object_set_new(c, "Env", json_pack("[ss]", "FOO=bar", "PATH=/usr/local/bin:/usr/bin:/bin"));
  json_object_set_new(c, "User", json_string("appuser"));
  json_object_set_new(c, "WorkingDir", json_string("/srv/work"));
  _h_free_ char *layout = layout_of(img, "conf", "1");
  load_ok(store, layout, "Loaded image: conf:1\n");

  _h_free_ char *id1 = h_id_new("conf");
  _h_result_ struct h_result r = RT(store, "run", "--name", id1, "conf:1");
  assert_fg_run_gone(store, id1, &r);
  ck_assert_msg(r.status == 0, "run: %d %s", r.status, r.err);
  ck_assert_msg(field(r.out, "args") && strcmp(field(r.out, "args"), "default-arg") == 0, "%s",
                r.out);
  ck_assert_msg(field(r.out, "uid") && strcmp(field(r.out, "uid"), "1000") == 0, "%s", r.out);
  ck_assert_msg(field(r.out, "gid") && strcmp(field(r.out, "gid"), "1000") == 0, "%s", r.out);
  ck_assert_msg(field(r.out, "groups") && same_words(field(r.out, "groups"), "1000 50"),
                "the user's groups (want 1000 and staff 50): %s", r.out);
  ck_assert_msg(field(r.out, "cwd") && strcmp(field(r.out, "cwd"), "/srv/work") == 0, "%s", r.out);
  ck_assert_msg(field(r.out, "owner") && strcmp(field(r.out, "owner"), "1000:1000") == 0,
                "WorkingDir's owner: %s", r.out);
  ck_assert_msg(field(r.out, "FOO") && strcmp(field(r.out, "FOO"), "bar") == 0, "%s", r.out);
  ck_assert_msg(field(r.out, "PATH") &&
                    strcmp(field(r.out, "PATH"), "/usr/local/bin:/usr/bin:/bin") == 0,
                "%s", r.out);

  /* args replace Cmd */
  _h_free_ char *id2 = h_id_new("conf");
  _h_result_ struct h_result r2 = RT(store, "run", "--name", id2, "conf:1", "one", "two");
  assert_fg_run_gone(store, id2, &r2);
  ck_assert_msg(r2.status == 0, "run with args: %d %s", r2.status, r2.err);
  ck_assert_msg(field(r2.out, "args") && strcmp(field(r2.out, "args"), "one two") == 0, "%s",
                r2.out);

  /* -u 0 replaces the image's user */
  _h_free_ char *id3 = h_id_new("conf");
  _h_result_ struct h_result r3 = RT(store, "run", "-u", "0", "--name", id3, "conf:1");
  assert_fg_run_gone(store, id3, &r3);
  ck_assert_msg(r3.status == 0, "run -u 0: %d %s", r3.status, r3.err);
  ck_assert_msg(field(r3.out, "uid") && strcmp(field(r3.out, "uid"), "0") == 0, "%s", r3.out);
  ck_assert_msg(field(r3.out, "gid") && strcmp(field(r3.out, "gid"), "0") == 0, "%s", r3.out);

  /* --entrypoint replaces Entrypoint and drops Cmd */
  _h_free_ char *id4 = h_id_new("conf");
  _h_result_ struct h_result r4 =
      RT(store, "run", "--entrypoint", "/bin/echo", "--name", id4, "conf:1");
  assert_fg_run_gone(store, id4, &r4);
  ck_assert_msg(r4.status == 0, "run --entrypoint: %d %s", r4.status, r4.err);
  ck_assert_msg(strcmp(r4.out, "\n") == 0, "--entrypoint /bin/echo kept Cmd: \"%s\"", r4.out);
  _h_free_ char *id5 = h_id_new("conf");
  _h_result_ struct h_result r5 =
      RT(store, "run", "--entrypoint", "/bin/echo", "--name", id5, "conf:1", "hello", "world");
  assert_fg_run_gone(store, id5, &r5);
  ck_assert_msg(r5.status == 0, "run --entrypoint with args: %d %s", r5.status, r5.err);
  ck_assert_str_eq(r5.out, "hello world\n");
}
END_TEST

/* User as name:group, uid, uid:gid in the image config. */
START_TEST(test_image_user_forms) {
  HUSK_ONLY();
  _h_free_ char *store = h_dir_new("store");
  const char *users[] = {"appuser:staff", "1000", "1000:50", "nobody"};
  const char *want[] = {"1000 50 50", "1000 1000 1000 50", "1000 50 50", "65534 65534 65534"};
  _h_free_ char *src = h_dir_new("src");
  _h_free_ char *layout = fmt("%s/users", src);
  for (size_t i = 0; i < 4; i++) {
    _fx_image_ struct fx_image *img = fx_image_busybox();
    json_object_set_new(fx_image_config(img), "User", json_string(users[i]));
    json_object_set_new(fx_image_config(img), "Entrypoint",
                        json_pack("[sss]", "/bin/sh", "-c", "echo $(id -u) $(id -g) $(id -G)"));
    _h_free_ char *tag = fmt("u%zu", i);
    fx_layout_write(img, layout, tag);
  }
  for (size_t i = 0; i < 4; i++) {
    _h_free_ char *source = fmt("oci:%s:u%zu", layout, i);
    _h_free_ char *loaded = fmt("Loaded image: users:u%zu\n", i);
    load_ok(store, source, loaded);
    _h_free_ char *ref = fmt("users:u%zu", i);
    _h_free_ char *cid = h_id_new("user");
    _h_result_ struct h_result r = RT(store, "run", "--name", cid, ref);
    assert_fg_run_gone(store, cid, &r);
    ck_assert_msg(r.status == 0, "run User %s: %d %s", users[i], r.status, r.err);
    /* uid and gid in order, then the groups as a set */
    unsigned uid, gid;
    int used = 0;
    ck_assert_msg(sscanf(r.out, "%u %u %n", &uid, &gid, &used) == 2, "User %s: %s", users[i],
                  r.out);
    unsigned wuid, wgid;
    int wused = 0;
    ck_assert(sscanf(want[i], "%u %u %n", &wuid, &wgid, &wused) == 2);
    ck_assert_msg(uid == wuid && gid == wgid && same_words(r.out + used, want[i] + wused),
                  "User %s: got \"%s\", want uid gid groups \"%s\"", users[i], r.out, want[i]);
  }
}
END_TEST

/* A Healthcheck in the image config runs (healthy); --no-healthcheck and --health-cmd
 * override it. */
START_TEST(test_image_healthcheck) {
  HUSK_ONLY();
  _h_free_ char *store = h_dir_new("store");
  _fx_image_ struct fx_image *img = fx_image_busybox();
  json_t *c = fx_image_config(img);
  json_object_set_new(c, "Cmd",
                      json_pack("[sss]", "sh", "-c", "touch /tmp/ready; exec sleep 1000"));
  json_object_set_new(c, "Healthcheck",
                      json_pack("{s:[ss], s:I, s:I, s:I, s:i}", "Test", "CMD-SHELL",
                                "test -e /tmp/ready", "Interval", (json_int_t)200000000, "Timeout",
                                (json_int_t)5000000000, "StartPeriod", (json_int_t)0, "Retries",
                                2));
  _h_free_ char *layout = layout_of(img, "healthy", "1");
  load_ok(store, layout, "Loaded image: healthy:1\n");

  _h_free_ char *a = h_id_new("hc");
  _h_result_ struct h_result ra = RT(store, "run", "-d", "--name", a, "healthy:1");
  ck_assert_msg(ra.status == 0, "run -d: %d %s", ra.status, ra.err);
  ck_assert_msg(wait_health(store, a, "healthy", 15000), "the image's health check did not "
                                                         "make the container healthy");
  _h_result_ struct h_result h = RT(store, "health", a);
  ck_assert_msg(h.status == 0, "health: %d %s", h.status, h.err);
  _h_json_ json_t *docker = json_loads(h.out, 0, NULL);
  ck_assert_msg(json_string_value(json_object_get(docker, "Status")) &&
                    strcmp(json_string_value(json_object_get(docker, "Status")), "healthy") == 0,
                "health: %s", h.out);

  _h_free_ char *b = h_id_new("hc");
  _h_result_ struct h_result rb =
      RT(store, "run", "-d", "--no-healthcheck", "--name", b, "healthy:1");
  ck_assert_msg(rb.status == 0, "run -d --no-healthcheck: %d %s", rb.status, rb.err);
  sleep_ms(1000);
  _h_json_ json_t *st = state_of(store, b);
  ck_assert_msg(st, "state %s", b);
  ck_assert_msg(!json_object_get(st, "health"), "--no-healthcheck: the container has health %s",
                health_status(st));
  _h_result_ struct h_result hr = RT(store, "health", "run", b);
  ck_assert_msg(hr.status == 125, "health run with --no-healthcheck: %d %s", hr.status, hr.out);

  _h_free_ char *d = h_id_new("hc");
  _h_result_ struct h_result rd =
      RT(store, "run", "-d", "--health-cmd", "test -e /tmp/never", "--name", d, "healthy:1");
  ck_assert_msg(rd.status == 0, "run -d --health-cmd: %d %s", rd.status, rd.err);
  ck_assert_msg(wait_health(store, d, "unhealthy", 15000), "--health-cmd did not replace the "
                                                           "image's test");

  remove_container(store, a);
  remove_container(store, b);
  remove_container(store, d);
}
END_TEST

/* The image's StopSignal is what stop sends; --stop-signal overrides it. */
START_TEST(test_image_stop_signal) {
  HUSK_ONLY();
  _h_free_ char *store = h_dir_new("store");
  _fx_image_ struct fx_image *img = fx_image_busybox();
  json_t *c = fx_image_config(img);
  json_object_set_new(c, "StopSignal", json_string("SIGUSR1"));
  json_object_set_new(c, "Cmd",
                      json_pack("[sss]", "sh", "-c",
                                "trap 'exit 42' USR1; trap 'exit 43' USR2; "
                                "touch /tmp/trapped; while :; do sleep 0.1; done"));
  _h_free_ char *layout = layout_of(img, "stopsig", "1");
  load_ok(store, layout, "Loaded image: stopsig:1\n");
  const char *flags[][2] = {{NULL, NULL}, {"--stop-signal", "USR2"}};
  const int want[] = {42, 43};
  for (size_t i = 0; i < 2; i++) {
    _h_free_ char *cid = h_id_new("stopsig");
    _h_result_ struct h_result r =
        flags[i][0] ? RT(store, "run", "-d", flags[i][0], flags[i][1], "--name", cid, "stopsig:1")
                    : RT(store, "run", "-d", "--name", cid, "stopsig:1");
    ck_assert_msg(r.status == 0, "run -d: %d %s", r.status, r.err);
    ck_assert_msg(wait_exec_ok(store, cid, "test -e /tmp/trapped", 10000), "never trapped");
    _h_result_ struct h_result s = RT(store, "stop", "-t", "10", cid);
    ck_assert_msg(s.status == 0, "stop: %d %s", s.status, s.err);
    ck_assert(h_wait_status(cid, "stopped", 15000));
    _h_json_ json_t *st = state_of(store, cid);
    json_t *code = json_object_get(json_object_get(st, "husk"), "exitCode");
    ck_assert_msg(json_integer_value(code) == want[i],
                  "stop sent the wrong signal: exit %d, want %d (%s)",
                  (int)json_integer_value(code), want[i],
                  flags[i][0] ? "--stop-signal USR2" : "the image's SIGUSR1");
    remove_container(store, cid);
  }
}
END_TEST

/* Labels become annotations; an image without Env gets the default PATH. */
START_TEST(test_labels_and_default_path) {
  HUSK_ONLY();
  _h_free_ char *store = h_dir_new("store");
  _fx_image_ struct fx_image *img = fx_image_busybox();
  json_object_set_new(
      fx_image_config(img), "Labels",
      json_pack("{s:s, s:s}", "org.example.team", "blue", "org.example.build", "42"));
  json_object_set_new(fx_image_config(img), "Cmd", json_pack("[ss]", "sleep", "1000"));
  _h_free_ char *layout = layout_of(img, "labelled", "1");
  load_ok(store, layout, "Loaded image: labelled:1\n");
  _h_free_ char *cid = h_id_new("labels");
  _h_result_ struct h_result r = RT(store, "run", "-d", "--name", cid, "labelled:1");
  ck_assert_msg(r.status == 0, "run -d: %d %s", r.status, r.err);
  _h_json_ json_t *st = state_of(store, cid);
  json_t *ann = json_object_get(st, "annotations");
  ck_assert_msg(json_string_value(json_object_get(ann, "org.example.team")) &&
                    strcmp(json_string_value(json_object_get(ann, "org.example.team")), "blue") ==
                        0 &&
                    json_string_value(json_object_get(ann, "org.example.build")) &&
                    strcmp(json_string_value(json_object_get(ann, "org.example.build")), "42") == 0,
                "state annotations lack the labels");
  remove_container(store, cid);

  _h_free_ char *fg = h_id_new("labels");
  _h_result_ struct h_result p =
      RT(store, "run", "--name", fg, "labelled:1", "sh", "-c", "echo \"$PATH\"");
  assert_fg_run_gone(store, fg, &p);
  ck_assert_msg(p.status == 0, "run: %d %s", p.status, p.err);
  ck_assert_str_eq(p.out, BUSYBOX_PATH "\n");

  /* Env without PATH: the default PATH too, next to the image's variables */
  _fx_image_ struct fx_image *img2 = fx_image_busybox();
  json_object_set_new(fx_image_config(img2), "Env", json_pack("[s]", "ONLY=1"));
  _h_free_ char *layout2 = layout_of(img2, "nopath", "1");
  load_ok(store, layout2, "Loaded image: nopath:1\n");
  _h_free_ char *fg2 = h_id_new("labels");
  _h_result_ struct h_result p2 =
      RT(store, "run", "--name", fg2, "nopath:1", "sh", "-c", "echo \"$PATH $ONLY\"");
  assert_fg_run_gone(store, fg2, &p2);
  ck_assert_msg(p2.status == 0, "run: %d %s", p2.status, p2.err);
  ck_assert_str_eq(p2.out, BUSYBOX_PATH " 1\n");
}
END_TEST

/* Volumes in the image config: an anonymous volume per path, in the container's storage. */
START_TEST(test_image_volumes) {
  HUSK_ONLY();
  _h_free_ char *store = h_dir_new("store");
  _fx_image_ struct fx_image *img = fx_image_busybox();
  json_object_set_new(fx_image_config(img), "Volumes", json_pack("{s:{}}", "/vol/data"));
  json_object_set_new(fx_image_config(img), "Cmd", json_pack("[ss]", "sleep", "1000"));
  _h_free_ char *layout = layout_of(img, "vols", "1");
  load_ok(store, layout, "Loaded image: vols:1\n");
  _h_free_ char *cid = h_id_new("vols");
  _h_result_ struct h_result r = RT(store, "run", "-d", "--name", cid, "vols:1");
  ck_assert_msg(r.status == 0, "run -d: %d %s", r.status, r.err);
  _h_free_ char *name = fmt("volfile-%d", (int)getpid());
  _h_free_ char *cmd =
      fmt("grep -c ' /vol/data ' /proc/self/mountinfo; echo v > /vol/data/%s", name);
  _h_result_ struct h_result e = RT(store, "exec", cid, "sh", "-c", cmd);
  ck_assert_msg(e.status == 0, "exec: %d %s %s", e.status, e.out, e.err);
  ck_assert_msg(strcmp(e.out, "1\n") == 0, "/vol/data is not a mount in the container: %s", e.out);
  _h_free_ char *dir = fmt("%s/containers/%s", store, cid);
  _h_free_ char *found = find_named(dir, name);
  ck_assert_msg(found, "the volume's file is not under %s", dir);
  _h_free_ char *text = h_read(found);
  ck_assert_str_eq(text, "v\n");
  _h_free_ char *layers = store_path(store, "layers");
  _h_free_ char *in_layers = find_named(layers, name);
  ck_assert_msg(!in_layers, "the volume's file is in the layers: %s", in_layers);
  remove_container(store, cid);
}
END_TEST

/* run -v NAME:DST with an image: the named volume is filled from the image at DST, with its
 * owner and mode, on first use only, and outlives the container (husk volume rm removes it). */
START_TEST(test_named_volume_filled_from_image) {
  HUSK_ONLY();
  _h_free_ char *store = h_dir_new("store");
  _fx_image_ struct fx_image *img = fx_image_busybox();
  /* the image's own volume there gives way to -v's, as with docker */
  json_object_set_new(fx_image_config(img), "Volumes", json_pack("{s:{}}", "/etc"));
  _h_free_ char *layout = layout_of(img, "namedvol", "1");
  load_ok(store, layout, "Loaded image: namedvol:1\n");
  _h_free_ char *cid = h_id_new("namedvol");
  _h_result_ struct h_result r =
      RT(store, "run", "--name", cid, "-v", "conf:/etc", "namedvol:1", "sh", "-c",
         "grep -c appuser /etc/passwd; grep -c ' /etc ' "
         "/proc/self/mountinfo; echo 1 > /etc/mine");
  assert_fg_run_gone(store, cid, &r);
  ck_assert_msg(r.status == 0 && strcmp(r.out, "1\n1\n") == 0, "run: %d %s %s", r.status, r.out,
                r.err);
  _h_free_ char *mine = fmt("%s/volumes/conf/_data/mine", store);
  ck_assert_msg(h_exists(mine), "the volume was not kept in the store");
  /* a second container sees what the first wrote: the volume is not filled again */
  _h_result_ struct h_result again =
      RT(store, "run", "--name", cid, "--mount", "type=volume,source=conf,target=/etc",
         "namedvol:1", "cat", "/etc/mine");
  assert_fg_run_gone(store, cid, &again);
  ck_assert_msg(again.status == 0 && strcmp(again.out, "1\n") == 0, "run: %d %s %s", again.status,
                again.out, again.err);
  _h_result_ struct h_result rm = RT(store, "volume", "rm", "conf");
  ck_assert_msg(rm.status == 0, "volume rm: %s", rm.err);
  ck_assert(!h_exists(mine));
}
END_TEST

/* A docker-archive whose manifest.json names files outside it (an absolute path, a symlink
 * it holds to a host file) or a fifo: refused, without reading the host's file or hanging. */
static void load_with_config(const char *store, const char *layout, const char *config,
                             const char *want_err) {
  _h_free_ char *mpath = fmt("%s/manifest.json", layout);
  json_t *m = json_load_file(mpath, 0, NULL);
  ck_assert_ptr_nonnull(m);
  json_object_set_new(json_array_get(m, 0), "Config", json_string(config));
  ck_assert_int_eq(json_dump_file(m, mpath, 0), 0);
  json_decref(m);
  _h_free_ char *src = h_dir_new("archives");
  _h_free_ char *tar = fmt("%s/evil.tar", src);
  /* tar(1): it archives the symlink and the fifo as what they are */
  _h_free_ char *cmd = fmt("tar -C '%s' -cf '%s' .", layout, tar);
  ck_assert_int_eq(system(cmd), 0);
  _h_free_ char *before = store_snapshot(store);
  _h_result_ struct h_result r = RT(store, "image", "load", tar);
  ck_assert_msg(r.status != 0, "a manifest.json with Config %s was loaded", config);
  ck_assert_msg(strstr(r.err, want_err), "Config %s: %s", config, r.err);
  _h_free_ char *after = store_snapshot(store);
  ck_assert_str_eq(after, before);
  assert_no_tmp(store, "a refused load");
}

START_TEST(test_hostile_archive_paths) {
  HUSK_ONLY();
  _h_free_ char *store = h_dir_new("store");
  _fx_image_ struct fx_image *img = fx_image_busybox();
  _h_free_ char *layout = layout_of(img, "evil", "1");
  _h_free_ char *index = fmt("%s/index.json", layout);
  ck_assert_int_eq(unlink(index), 0); /* docker's legacy form */
  fx_docker_manifest_write(img, layout, "evil:1");
  /* The host has /etc/passwd: had it been read, the error would be about its content. */
  load_with_config(store, layout, "/etc/passwd", "No such file");
  _h_free_ char *link = fmt("%s/cfg.json", layout);
  ck_assert_int_eq(symlink("/etc/passwd", link), 0);
  load_with_config(store, layout, "cfg.json", "No such file");
  ck_assert_int_eq(unlink(link), 0);
  _h_free_ char *fifo = fmt("%s/fifo", layout);
  ck_assert_int_eq(mkfifo(fifo, 0644), 0);
  load_with_config(store, layout, "fifo", "not a file, directory or link");
}
END_TEST

/* -u over the image's User: a uid is looked up in the image's /etc/passwd (gid, groups), as
 * docker does; a user other than root has no effective capabilities, root has docker's. */
START_TEST(test_run_user_override_and_caps) {
  HUSK_ONLY();
  _h_free_ char *store = h_dir_new("store");
  _fx_image_ struct fx_image *img = fx_image_busybox();
  json_object_set_new(fx_image_config(img), "User", json_string("appuser"));
  json_object_set_new(fx_image_config(img), "Cmd",
                      json_pack("[sss]", "sh", "-c",
                                "echo $(id -u) $(id -g) $(id -G); grep CapEff /proc/self/status"));
  _h_free_ char *layout = layout_of(img, "who", "1");
  load_ok(store, layout, "Loaded image: who:1\n");
  _h_free_ char *c1 = h_id_new("who-image");
  _h_result_ struct h_result r1 = RT(store, "run", "--name", c1, "who:1");
  assert_fg_run_gone(store, c1, &r1);
  ck_assert_msg(r1.status == 0, "run: %d %s", r1.status, r1.err);
  ck_assert_str_eq(r1.out, "1000 1000 1000 50\nCapEff:\t0000000000000000\n");
  _h_free_ char *c2 = h_id_new("who-uid");
  _h_result_ struct h_result r2 = RT(store, "run", "-u", "1000", "--name", c2, "who:1");
  assert_fg_run_gone(store, c2, &r2);
  ck_assert_msg(r2.status == 0, "run -u 1000: %d %s", r2.status, r2.err);
  ck_assert_str_eq(r2.out, "1000 1000 1000 50\nCapEff:\t0000000000000000\n");
  _h_free_ char *c3 = h_id_new("who-root");
  _h_result_ struct h_result r3 = RT(store, "run", "-u", "0", "--name", c3, "who:1");
  assert_fg_run_gone(store, c3, &r3);
  ck_assert_msg(r3.status == 0, "run -u 0: %d %s", r3.status, r3.err);
  ck_assert_msg(str_starts(r3.out, "0 0 0") && !strstr(r3.out, "CapEff:\t0000000000000000"),
                "root from an image has docker's capabilities: %s", r3.out);
}
END_TEST

/* An image's Labels cannot set husk's own annotations; its Volumes start with what the image
 * has there, owner and mode included. */
START_TEST(test_labels_cannot_set_husk_annotations_and_volumes_are_filled) {
  HUSK_ONLY();
  _h_free_ char *store = h_dir_new("store");
  _fx_image_ struct fx_image *img = fx_image_new();
  struct fx_layer *l = fx_layer_new(FX_GZIP);
  fx_layer_busybox(l);
  fx_layer_dir(l, "data", 0750, 1000, 1000);
  fx_layer_text(l, "data/seed", "from-image\n", 0644);
  fx_image_add_layer(img, l);
  json_t *c = fx_image_config(img);
  json_object_set_new(c, "Volumes", json_pack("{s:{}}", "/data"));
  json_object_set_new(c, "Labels",
                      json_pack("{s:s, s:s}", "io.husk.stopTimeout", "1", "team", "web"));
  json_object_set_new(c, "Cmd", json_pack("[ss]", "sleep", "1000"));
  _h_free_ char *layout = layout_of(img, "labelled", "1");
  load_ok(store, layout, "Loaded image: labelled:1\n");
  _h_free_ char *cid = h_id_new("labelled");
  _h_result_ struct h_result r = RT(store, "run", "-d", "--name", cid, "labelled:1");
  ck_assert_msg(r.status == 0, "run -d: %d %s", r.status, r.err);
  _h_json_ json_t *st = h_state(cid);
  ck_assert_ptr_nonnull(st);
  json_t *ann = json_object_get(st, "annotations");
  ck_assert_str_eq(json_string_value(json_object_get(ann, "team")), "web");
  ck_assert_ptr_null(json_object_get(ann, "io.husk.stopTimeout"));
  _h_result_ struct h_result e = RT(store, "exec", cid, "sh", "-c",
                                    "grep -c ' /data ' /proc/self/mountinfo; cat /data/seed; "
                                    "stat -c '%u %g %a' /data");
  ck_assert_msg(e.status == 0, "exec: %d %s", e.status, e.err);
  ck_assert_str_eq(e.out, "1\nfrom-image\n1000 1000 750\n");
  remove_container(store, cid);
}
END_TEST

/* A restart in place (--health-on-failure restart) mounts the container's own upper again:
 * what it wrote stays, as with docker restart (the volatile upper's marker is cleared). */
START_TEST(test_restart_keeps_writes) {
  HUSK_ONLY();
  _h_free_ char *store = h_dir_new("store");
  _fx_image_ struct fx_image *img = fx_image_busybox();
  _h_free_ char *layout = layout_of(img, "restart", "1");
  load_ok(store, layout, "Loaded image: restart:1\n");
  _h_free_ char *cid = h_id_new("restart");
  _h_result_ struct h_result r =
      RT(store, "run", "-d", "--name", cid, "--stop-timeout", "1", "--health-cmd",
         "test ! -f /tmp/unhealthy", "--health-interval", "500ms", "--health-retries", "1",
         "--health-on-failure", "restart", "restart:1", "sh", "-c",
         "echo run >> /runs; touch /tmp/unhealthy; exec sleep 1000");
  ck_assert_msg(r.status == 0, "run -d: %d %s", r.status, r.err);
  bool twice = false;
  for (int waited = 0; !twice && waited < 20000; waited += 250) {
    _h_result_ struct h_result e = RT(store, "exec", cid, "cat", "/runs");
    twice = e.status == 0 && strcmp(e.out, "run\nrun\n") == 0;
    if (!twice)
      sleep_ms(250);
  }
  ck_assert_msg(twice, "after a restart in place the container's writes are not all there");
  remove_container(store, cid);
}
END_TEST

/* An image container that exited, restarted by --restart on-failure:1 and then started again
 * by `husk start` (a new monitor, from run.json: the image's config, not a bundle's): the
 * same upper all three times. */
START_TEST(test_start_again_keeps_writes) {
  HUSK_ONLY();
  _h_free_ char *store = h_dir_new("store");
  _fx_image_ struct fx_image *img = fx_image_busybox();
  _h_free_ char *layout = layout_of(img, "again", "1");
  load_ok(store, layout, "Loaded image: again:1\n");
  _h_free_ char *cid = h_id_new("again");
  _h_result_ struct h_result r =
      RT(store, "run", "-d", "--name", cid, "--restart", "on-failure:1", "again:1", "sh", "-c",
         "echo run >> /runs; cat /runs | wc -l; exit 3");
  ck_assert_msg(r.status == 0, "run -d: %d %s", r.status, r.err);
  bool done = false;
  for (int waited = 0; !done && waited < 20000; waited += 100) {
    _h_result_ struct h_result l = RT(store, "logs", cid);
    _h_result_ struct h_result st = RT(store, "list");
    done = strcmp(l.out, "1\n2\n") == 0 && strstr(st.out, "stopped (3), 1 restart");
    if (!done)
      sleep_ms(100);
  }
  ck_assert_msg(done, "on-failure:1 did not run it twice");
  bool ended = false; /* the monitor ends after the exit it recorded */
  for (int waited = 0; !ended && waited < 10000; waited += 50) {
    _h_result_ struct h_result st = RT(store, "state", cid);
    ended = strstr(st.out, "\"monitorPid\": 0") != NULL;
    if (!ended)
      sleep_ms(50);
  }
  ck_assert_msg(ended, "the monitor did not end");
  _h_result_ struct h_result s = RT(store, "start", cid, NULL);
  ck_assert_msg(s.status == 0, "start: %d %s", s.status, s.err);
  bool thrice = false;
  for (int waited = 0; !thrice && waited < 20000; waited += 100) {
    _h_result_ struct h_result l = RT(store, "logs", cid);
    thrice = strcmp(l.out, "1\n2\n3\n") == 0;
    if (!thrice)
      sleep_ms(100);
  }
  ck_assert_msg(thrice, "husk start did not run the image's process on the same upper");
  remove_container(store, cid);
}
END_TEST

/* run and create with a prefixed source: loaded into the store first. */
START_TEST(test_run_and_create_from_source) {
  HUSK_ONLY();
  _h_free_ char *store = h_dir_new("store");
  _fx_image_ struct fx_image *img = fx_image_busybox();
  json_object_set_new(fx_image_config(img), "Cmd", json_pack("[ss]", "cat", "/etc/image-name"));
  _h_free_ char *layout = layout_of(img, "direct", "1.0");
  _h_free_ char *id = fx_image_id(img);
  _h_free_ char *src = fmt("oci:%s:1.0", layout);
  _h_free_ char *cid = h_id_new("direct");
  _h_result_ struct h_result r = RT(store, "run", "--name", cid, src);
  assert_fg_run_gone(store, cid, &r);
  ck_assert_msg(r.status == 0, "run %s: %d %s", src, r.status, r.err);
  size_t n = strlen(r.out);
  ck_assert_msg(n >= 8 && strcmp(r.out + n - 8, "busybox\n") == 0, "run %s: %s", src, r.out);
  _h_free_ char *got = inspect_id(store, "direct:1.0");
  ck_assert_str_eq(got + strlen("sha256:"), id);

  _h_free_ char *archives = h_dir_new("archives");
  _h_free_ char *tar = fmt("%s/direct.tar", archives);
  fx_tar_dir(layout, tar);
  _h_free_ char *store2 = h_dir_new("store");
  _h_free_ char *asrc = fmt("oci-archive:%s", tar);
  _h_free_ char *cid2 = h_id_new("direct");
  _h_result_ struct h_result c = RT(store2, "create", "--name", cid2, asrc, "sleep", "1000");
  ck_assert_msg(c.status == 0, "create --name %s %s: %d %s", cid2, asrc, c.status, c.err);
  ck_assert(h_wait_status(cid2, "created", 5000));
  _h_result_ struct h_result s = RT(store2, "start", cid2);
  ck_assert_msg(s.status == 0, "start: %d %s", s.status, s.err);
  ck_assert(h_wait_status(cid2, "running", 5000));
  _h_result_ struct h_result e = RT(store2, "exec", cid2, "cat", "/etc/image-name");
  ck_assert_msg(e.status == 0 && strcmp(e.out, "busybox\n") == 0, "exec: %d %s %s", e.status, e.out,
                e.err);
  _h_free_ char *got2 = inspect_id(store2, "direct:1.0");
  ck_assert_str_eq(got2 + strlen("sha256:"), id);
  remove_container(store2, cid2);
}
END_TEST

/* spec --image writes the config husk would use; create -b runs it from the store. */
START_TEST(test_spec_image_then_create_bundle) {
  HUSK_ONLY();
  _h_free_ char *store = h_dir_new("store");
  _fx_image_ struct fx_image *img = fx_image_busybox();
  json_t *c = fx_image_config(img);
  json_object_set_new(c, "Entrypoint", json_pack("[ss]", "/bin/sh", "-c"));
  json_object_set_new(c, "Cmd", json_pack("[s]", "echo from-spec > /tmp/out; exec sleep 1000"));
  json_object_set_new(c, "Env", json_pack("[ss]", "FOO=spec", "PATH=/bin"));
  json_object_set_new(c, "WorkingDir", json_string("/tmp"));
  _h_free_ char *layout = layout_of(img, "spec", "1");
  load_ok(store, layout, "Loaded image: spec:1\n");
  _h_free_ char *id = fx_image_id(img);
  _h_free_ char *bundle = h_dir_new("bundle");
  _h_result_ struct h_result sp = RT(store, "spec", "--image", "spec:1", "-b", bundle);
  ck_assert_msg(sp.status == 0, "spec --image: %d %s", sp.status, sp.err);
  _h_json_ json_t *config = h_config_load(bundle);
  json_t *args = json_object_get(json_object_get(config, "process"), "args");
  _h_json_ json_t *want_args =
      json_pack("[sss]", "/bin/sh", "-c", "echo from-spec > /tmp/out; exec sleep 1000");
  ck_assert_msg(json_equal(args, want_args), "process.args");
  json_t *env = json_object_get(json_object_get(config, "process"), "env");
  bool foo = false;
  size_t i;
  json_t *v;
  json_array_foreach(env, i, v) foo |=
      json_string_value(v) && strcmp(json_string_value(v), "FOO=spec") == 0;
  ck_assert_msg(foo, "process.env lacks FOO=spec");
  ck_assert_str_eq(json_string_value(json_object_get(json_object_get(config, "process"), "cwd")),
                   "/tmp");
  const char *ann =
      json_string_value(json_object_get(json_object_get(config, "annotations"), "io.husk.image"));
  ck_assert_msg(ann && strstr(ann, id), "annotation io.husk.image is %s, not the id %s", ann, id);

  _h_free_ char *cid = h_id_new("spec");
  _h_result_ struct h_result cr = RT(store, "create", "-b", bundle, cid);
  ck_assert_msg(cr.status == 0, "create -b: %d %s", cr.status, cr.err);
  _h_result_ struct h_result st = RT(store, "start", cid);
  ck_assert_msg(st.status == 0, "start: %d %s", st.status, st.err);
  ck_assert_msg(wait_exec_ok(store, cid, "test -s /tmp/out", 10000), "the process did not run");
  _h_result_ struct h_result e = RT(store, "exec", cid, "cat", "/tmp/out", "/etc/image-name");
  ck_assert_msg(e.status == 0, "exec: %d %s", e.status, e.err);
  ck_assert_str_eq(e.out, "from-spec\nbusybox\n");
  _h_free_ char *dir = fmt("%s/containers/%s", store, cid);
  ck_assert_msg(h_exists(dir), "the container's root is not in the store (%s)", dir);
  _h_free_ char *out_in_bundle = find_named(bundle, "out");
  ck_assert_msg(!out_in_bundle, "the container wrote into the bundle: %s", out_in_bundle);
  remove_container(store, cid);
}
END_TEST

int main(void) {
  Suite *s = suite_create("image");
  TCase *load = h_tcase("load");
  tcase_add_test(load, test_load_layout_dir_and_list);
  tcase_add_test(load, test_load_oci_prefix_selects_tag);
  tcase_add_test(load, test_load_ref_names);
  tcase_add_test(load, test_load_oci_archive);
  tcase_add_test(load, test_load_docker_archive_skopeo);
  tcase_add_test(load, test_load_docker_archive_new_format);
  tcase_add_test(load, test_load_docker_archive_without_names);
  tcase_add_test(load, test_load_errors);
  tcase_add_test(load, test_storage_from_environment);
  suite_add_tcase(s, load);
  TCase *manage = h_tcase("manage");
  tcase_add_test(manage, test_inspect);
  tcase_add_test(manage, test_tag_and_rm);
  tcase_add_test(manage, test_prune);
  tcase_add_test(manage, test_rm_refused_while_used);
  suite_add_tcase(s, manage);
  TCase *layers = h_tcase("layers");
  tcase_add_test(layers, test_whiteout_and_opaque);
  tcase_add_test(layers, test_layers_copied_without_overlay);
  tcase_add_test(layers, test_many_layers);
  tcase_add_test(layers, test_hardlinks);
  tcase_add_test(layers, test_compressions_and_metadata);
  suite_add_tcase(s, layers);
  TCase *hostile = h_tcase("hostile");
  tcase_add_test(hostile, test_symlink_then_write_through_it_across_layers);
  tcase_add_test(hostile, test_symlink_then_write_through_it_in_one_layer);
  tcase_add_test(hostile, test_hardlink_out_of_layer);
  tcase_add_test(hostile, test_dotdot_and_absolute_names);
  tcase_add_test(hostile, test_wrong_layer_digest);
  tcase_add_test(hostile, test_truncated_gzip_layer);
  tcase_add_test(hostile, test_load_killed_then_again);
  tcase_add_test(hostile, test_concurrent_loads);
  tcase_add_test(hostile, test_hostile_archive_paths);
  suite_add_tcase(s, hostile);
  TCase *containers = h_tcase("containers");
  tcase_add_test(containers, test_two_containers_isolated);
  tcase_add_test(containers, test_image_config_honoured_and_overridden);
  tcase_add_test(containers, test_image_user_forms);
  tcase_add_test(containers, test_image_healthcheck);
  tcase_add_test(containers, test_image_stop_signal);
  tcase_add_test(containers, test_labels_and_default_path);
  tcase_add_test(containers, test_image_volumes);
  tcase_add_test(containers, test_named_volume_filled_from_image);
  tcase_add_test(containers, test_run_user_override_and_caps);
  tcase_add_test(containers, test_restart_keeps_writes);
  tcase_add_test(containers, test_start_again_keeps_writes);
  tcase_add_test(containers, test_labels_cannot_set_husk_annotations_and_volumes_are_filled);
  tcase_add_test(containers, test_run_and_create_from_source);
  tcase_add_test(containers, test_spec_image_then_create_bundle);
  suite_add_tcase(s, containers);
  return h_main(s);
}
