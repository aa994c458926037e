/* TAP tests for hooks.c: real hook processes run through /bin/sh.  */
#include <config.h>
#include "hooks.h"
#include "cleanup.h"
#include "log.h"
#include "leaf-tap.h"

#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <time.h>

static char tmpdir[] = "/tmp/estiba-test-hooks.XXXXXX";

static const char *
tmp (const char *name)
{
  static char paths[8][PATH_MAX];
  static int next;
  char *p = paths[next++ % 8];

  snprintf (p, PATH_MAX, "%s/%s", tmpdir, name);
  return p;
}

static char *
slurp (const char *path)
{
  static char buf[256 * 1024];
  int fd = open (path, O_RDONLY);
  ssize_t n = 0, r;

  buf[0] = '\0';
  if (fd < 0)
    return buf;
  while ((r = read (fd, buf + n, sizeof (buf) - 1 - (size_t) n)) > 0)
    n += r;
  buf[n] = '\0';
  close (fd);
  return buf;
}

/* Everything sh_hook allocates, released at the end.  */
static void *allocated[256];
static size_t n_allocated;

static void *
remember (void *p)
{
  if (n_allocated < sizeof (allocated) / sizeof (allocated[0]))
    allocated[n_allocated++] = p;
  return p;
}

static void
free_all (void)
{
  while (n_allocated > 0)
    free (allocated[--n_allocated]);
}

/* A hook running `sh -c script` (script may use %s for the temp dir).  */
static struct oci_hook
sh_hook (const char *script, char **env)
{
  struct oci_hook h = { 0 };
  char *full = NULL;
  size_t n = 0;

  if (asprintf (&full, script, tmpdir, tmpdir) < 0)
    abort ();
  h.path = remember (strdup ("/bin/sh"));
  h.args = remember (calloc (4, sizeof (char *)));
  h.args[0] = remember (strdup ("sh"));
  h.args[1] = remember (strdup ("-c"));
  h.args[2] = remember (full);
  h.args_len = 3;
  if (env)
    {
      while (env[n])
        n++;
      h.env = env;
      h.env_len = n;
    }
  return h;
}

static double
now_s (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return (double) t.tv_sec + (double) t.tv_nsec / 1e9;
}

static void
test_order_state_env (void)
{
  estiba_error_t err = NULL;
  const char *state =
    "{\"ociVersion\":\"1.3.0\",\"id\":\"c1\",\"status\":\"creating\",\"pid\":42,\"bundle\":\"/b\"}";
  char *env[] = { (char *) "FOO=bar", (char *) "PATH=/usr/bin:/bin", NULL };
  struct oci_hook hooks[4];
  int ret;

  setenv ("ESTIBA_TEST_SECRET", "leaked", 1);
  hooks[0] = sh_hook ("echo first >> %s/order", NULL);
  hooks[1] = sh_hook ("echo second >> %s/order; cat > %s/state", NULL);
  hooks[2] = sh_hook ("env > %s/env", env);
  hooks[3] = sh_hook ("echo \"$0 $#\" > %s/argv0", NULL);
  hooks[3].args[0] = (char *) "my-hook-name";
  ret = hooks_run (hooks, 4, "prestart", state, &err);
  ok_call (ret, &err, "four successful hooks");
  ok (strcmp (slurp (tmp ("order")), "first\nsecond\n") == 0, "hooks run in order");
  ok (strcmp (slurp (tmp ("state")), state) == 0, "the state JSON arrives on stdin, complete");
  ok (strstr (slurp (tmp ("env")), "FOO=bar\n") && !strstr (slurp (tmp ("env")), "ESTIBA_TEST_SECRET"),
      "the hook gets the env it lists and nothing of ours");
  ok (strcmp (slurp (tmp ("argv0")), "my-hook-name 0\n") == 0, "args[0] is argv[0]");
}

static void
test_no_args_no_env (void)
{
  estiba_error_t err = NULL;
  struct oci_hook h = { 0 };
  char script[PATH_MAX + 64];
  int ret, fd;

  /* A hook given by path only: argv[0] is the path, the env is empty.  */
  snprintf (script, sizeof (script),
            "#!/bin/sh\necho \"$0\" > %s/noargs; env | grep -v '^PWD=' >> %s/noargs; true\n", tmpdir, tmpdir);
  fd = open (tmp ("hook.sh"), O_WRONLY | O_CREAT | O_TRUNC, 0755);
  write (fd, script, strlen (script));
  close (fd);
  h.path = (char *) tmp ("hook.sh");
  ret = hooks_run (&h, 1, "createRuntime", "{}", &err);
  ok_call (ret, &err, "a hook without args or env");
  snprintf (script, sizeof (script), "%s\n", tmp ("hook.sh"));
  ok (strcmp (slurp (tmp ("noargs")), script) == 0, "argv[0] is the path and the environment is empty");
}

static void
test_failures (void)
{
  estiba_error_t err = NULL;
  struct oci_hook hooks[3], h = { 0 };
  double start;
  int ret;

  hooks[0] = sh_hook ("true", NULL);
  hooks[1] = sh_hook ("echo; echo 'bridge br0 not found' >&2; echo more >&2; exit 3", NULL);
  hooks[2] = sh_hook ("touch %s/third-ran", NULL);
  ret = hooks_run (hooks, 3, "createRuntime", "{}", &err);
  ok_fails_with (ret, &err, "createRuntime hook 1 (/bin/sh): exit status 3: bridge br0 not found",
                 "a failing hook: phase, index, path, status and its first output line");
  ok (access (tmp ("third-ran"), F_OK) < 0, "hooks after the failing one do not run");

  hooks[0] = sh_hook ("exec sleep 10", NULL);
  OCI_SET (&hooks[0], timeout, 1);
  start = now_s ();
  ret = hooks_run (hooks, 1, "prestart", "{}", &err);
  ok_fails_with (ret, &err, "prestart hook 0 (/bin/sh): timed out after 1 s",
                 "a hook over its timeout is killed");
  ok (now_s () - start < 3, "... after about 1 s (%.2f s)", now_s () - start);

  hooks[0] = sh_hook ("sleep 5 & echo started", NULL);
  start = now_s ();
  ret = hooks_run (hooks, 1, "prestart", "{}", &err);
  ok_call (ret, &err, "a hook leaving a background process behind");
  ok (now_s () - start < 2, "does not wait for that process (%.2f s)", now_s () - start);

  hooks[0] = sh_hook ("kill -9 $$", NULL);
  ret = hooks_run (hooks, 1, "poststart", "{}", &err);
  ok_fails_with (ret, &err, "killed by signal 9", "a hook killed by a signal");

  h.path = (char *) "/nonexistent/hook";
  ret = hooks_run (&h, 1, "startContainer", "{}", &err);
  ok_fails_with (
    ret, &err,
    "startContainer hook 0 (/nonexistent/hook): exit status 127: exec /nonexistent/hook: No such file",
    "a missing hook binary");
  h.path = (char *) "relative/hook";
  ret = hooks_run (&h, 1, "prestart", "{}", &err);
  ok_fails_with (ret, &err, "prestart hook 0: path \"relative/hook\" must be absolute",
                 "a relative path is refused");
  h.path = (char *) "/bin/true";
  OCI_SET (&h, timeout, 0);
  ret = hooks_run (&h, 1, "prestart", "{}", &err);
  ok_fails_with (ret, &err, "timeout 0 must be greater than zero", "timeout 0 is refused");
}

static void
test_big_state (void)
{
  estiba_error_t err = NULL;
  struct oci_hook h = sh_hook ("exit 0", NULL);
  char *state = malloc (200001);
  int ret;

  memset (state, 'x', 200000);
  state[200000] = '\0';
  ret = hooks_run (&h, 1, "prestart", state, &err);
  ok_call (ret, &err, "a hook that does not read a 200 kB state does not block");
  h = sh_hook ("cat > %s/big", NULL);
  ret = hooks_run (&h, 1, "prestart", state, &err);
  ok (ret == 0 && strlen (slurp (tmp ("big"))) == 200000, "a hook reading it gets all of it");
  estiba_error_release (&err);
  free (state);
}

static void
test_poststop (void)
{
  estiba_error_t err = NULL;
  struct estiba_log log;
  struct oci_hook hooks[2];
  int ret;

  ret = estiba_log_open (&log, tmp ("log"), "text", "warning", &err);
  ok_call (ret, &err, "open a log file");
  estiba_log_use (&log);
  hooks[0] = sh_hook ("echo cleanup failed >&2; exit 1", NULL);
  hooks[1] = sh_hook ("touch %s/poststop-second", NULL);
  ret = hooks_run_poststop (hooks, 2, "{}");
  estiba_log_use (NULL);
  estiba_log_close (&log);
  ok (ret == 0 && access (tmp ("poststop-second"), F_OK) == 0, "poststop runs every hook despite a failure");
  ok (strstr (slurp (tmp ("log")), "poststop hook 0 (/bin/sh): exit status 1: cleanup failed") != NULL,
      "and logs the failure as a warning");
}

int
main (void)
{
  char cmd[PATH_MAX];

  if (mkdtemp (tmpdir) == NULL)
    return 1;
  test_order_state_env ();
  test_no_args_no_env ();
  test_failures ();
  test_big_state ();
  test_poststop ();
  snprintf (cmd, sizeof (cmd), "rm -rf %s", tmpdir);
  system (cmd);
  free_all ();
  return tap_done ();
}
