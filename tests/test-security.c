/* test-security.c: where the PBX password may and may not be, and the modes
 * of the files kerio-cti writes
 *
 * The real `kerio-cti --headless` runs as a child process against the
 * simulator in this test's main loop, with every debug message on.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kc-test-headless.h"
#include "sim/kc-sim-server.h"

/* Distinctive enough that finding it anywhere is no coincidence */
#define PASSWORD "Qz7-kerio-LEAK-5309!"
#define WRONG_PASSWORD "Qz7-kerio-WRONG-8841!"
#define WARNING "not a safe place"

typedef struct
{
  KcSimServer *sim;
  char        *url;
  char        *home;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  f->home = kc_test_make_tmpdir ();
  f->sim = kc_sim_server_new ();
  kc_sim_server_set_credentials (f->sim, KC_SIM_DEFAULT_USERNAME, PASSWORD);
  kc_sim_server_listen (f->sim, 0, NULL, &error);
  g_assert_no_error (error);
  f->url = kc_sim_server_get_endpoint_url (f->sim);

  kc_sim_server_add_cdr (f->sim, "cdr-1", now - 300, "+998901112233", "1001",
                         KC_SIM_CDR_ANSWERED, 60, 50);
  kc_sim_server_add_recording (f->sim, "rec-1", "1001", "+998901112233", now - 290, 2);
  kc_sim_server_add_cdr (f->sim, "cdr-2", now - 200, "+998901112244", "1002",
                         KC_SIM_CDR_NO_ANSWER, 20, 0);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->sim);
  g_free (f->url);
  kc_test_rm_rf (f->home);
  g_free (f->home);
}

static KcTestProc *
spawn (Fixture            *f,
       const char *const  *args,
       const char *const  *extra_env)
{
  return kc_test_proc_spawn (f->home, f->url, args, extra_env);
}

static void
stop (KcTestProc *proc)
{
  g_subprocess_send_signal (proc->process, SIGTERM);
  g_assert_cmpint (kc_test_proc_wait_exit (proc), ==, 0);
}

/* --- The warning about KERIO_API_PASSWORD ------------------------------ */

static void
test_password_warning (Fixture       *f,
                       gconstpointer  data)
{
  const char *const headless[] = { "--headless", NULL };
  g_autofree char *password_env = g_strconcat ("KERIO_API_PASSWORD=", PASSWORD, NULL);
  KcTestProc *proc;
  guint i;

  proc = spawn (f, headless, (const char *const[]){ password_env, NULL });
  /* Many polls and a sync later, it has still been said once. */
  KC_TEST_WAIT_UNTIL (kc_sim_server_get_request_count (f->sim, "Status.getCalls") >= 20, 30);
  KC_TEST_WAIT_UNTIL (kc_test_lines_have (proc->err, "Synced"), 30);
  stop (proc);
  g_assert_cmpuint (kc_test_lines_count (proc->err, WARNING), ==, 1);
  for (i = 0; !strstr (g_ptr_array_index (proc->err, i), WARNING); i++)
    ;
  /* One line, which says what to do instead, and does not repeat the value */
  g_assert_nonnull (strstr (g_ptr_array_index (proc->err, i), "KERIO_API_PASSWORD"));
  g_assert_nonnull (strstr (g_ptr_array_index (proc->err, i), "keyring"));
  g_assert_null (strstr (g_ptr_array_index (proc->err, i), PASSWORD));
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "Session.login"), ==, 1);
  kc_test_proc_free (proc);

  /* Without the variable there is nothing to warn about (and no password). */
  proc = spawn (f, headless, (const char *const[]){ "KERIO_API_PASSWORD", NULL });
  KC_TEST_WAIT_UNTIL (kc_test_lines_have (proc->err, "user name or password is incorrect"), 30);
  stop (proc);
  g_assert_false (kc_test_lines_have (proc->err, WARNING));
  kc_test_proc_free (proc);
}

/* --- The password is nowhere ------------------------------------------- */

/* Every process whose parent is pid, found through /proc/PID/stat */
static GArray *
child_pids (GPid pid)
{
  GArray *children = g_array_new (FALSE, FALSE, sizeof (GPid));
  g_autoptr (GDir) proc_dir = g_dir_open ("/proc", 0, NULL);
  const char *name;

  g_assert_nonnull (proc_dir);
  while ((name = g_dir_read_name (proc_dir)))
    {
      g_autofree char *path = NULL;
      g_autofree char *stat = NULL;
      const char *after_name;
      GPid child, parent;

      if (!g_ascii_isdigit (name[0]))
        continue;
      path = g_build_filename ("/proc", name, "stat", NULL);
      /* The process may be gone already */
      if (!g_file_get_contents (path, &stat, NULL, NULL))
        continue;
      /* "PID (comm) STATE PPID ...", where comm may hold anything */
      after_name = strrchr (stat, ')');
      if (after_name == NULL || sscanf (after_name, ") %*c %d", &parent) != 1)
        continue;
      child = atoi (name);
      if (parent == pid)
        g_array_append_val (children, child);
    }
  return children;
}

static char *
read_cmdline (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/cmdline", pid);
  char *contents = NULL;
  gsize length = 0;

  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  /* Arguments are NUL-separated */
  for (gsize i = 0; i < length; i++)
    if (contents[i] == '\0')
      contents[i] = ' ';
  return contents;
}

/* What ps would show of the process and of any process it started */
static void
collect_command_lines (KcTestProc *proc,
                       GString    *seen)
{
  GPid pid = atoi (g_subprocess_get_identifier (proc->process));
  g_autoptr (GArray) children = child_pids (pid);
  g_autofree char *own = read_cmdline (pid);

  g_assert_nonnull (strstr (own, "--headless"));
  g_string_append_printf (seen, "%s\n", own);
  for (guint i = 0; i < children->len; i++)
    {
      g_autofree char *cmdline = read_cmdline (g_array_index (children, GPid, i));

      g_string_append_printf (seen, "%s\n", cmdline);
    }
}

static void
collect_output (KcTestProc *proc,
                GString    *seen)
{
  g_autofree char *out = kc_test_lines_join (proc->out);
  g_autofree char *err = kc_test_lines_join (proc->err);

  g_string_append (seen, out);
  g_string_append (seen, err);
}

static void
assert_not_in (const char *what,
               const char *text,
               gsize       length)
{
  for (const char *const *p = (const char *const[]){ PASSWORD, WRONG_PASSWORD, NULL }; *p; p++)
    if (memmem (text, length, *p, strlen (*p)) != NULL)
      g_error ("The password %s is in %s", *p, what);
}

/* Every file under dir, the database, its journal, the recordings and any
 * settings file included; returns how many there were. */
static guint
assert_no_file_holds_password (const char *dir)
{
  g_autoptr (GDir) listing = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  g_assert_nonnull (listing);
  while ((name = g_dir_read_name (listing)))
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *contents = NULL;
      gsize length;

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          n += assert_no_file_holds_password (path);
          continue;
        }
      g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
      assert_not_in (path, contents, length);
      n++;
    }
  return n;
}

static void
test_password_nowhere (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *right = g_strconcat ("KERIO_API_PASSWORD=", PASSWORD, NULL);
  g_autofree char *wrong = g_strconcat ("KERIO_API_PASSWORD=", WRONG_PASSWORD, NULL);
  g_autofree char *db = g_build_filename (f->home, "data", "kerio-cti", "calls.db", NULL);
  g_autoptr (GString) seen = g_string_new (NULL);
  const char *debug_env[] = { NULL, "G_MESSAGES_DEBUG=all", "KERIO_SYNC_INTERVAL=0.005",
                              /* GSettings in a file we can read, not in memory */
                              "GSETTINGS_BACKEND=keyfile", NULL };
  g_autofree char *recording = NULL;
  KcTestProc *proc;

  /* A wrong password: refused, with every message about it */
  debug_env[0] = wrong;
  proc = spawn (f, (const char *const[]){ "--headless", NULL }, debug_env);
  KC_TEST_WAIT_UNTIL (kc_test_lines_have (proc->err, "user name or password is incorrect"), 30);
  collect_command_lines (proc, seen);
  stop (proc);
  collect_output (proc, seen);
  kc_test_proc_free (proc);

  /* The right one: logs in, polls, syncs, shows a call, and logs in again
   * when the PBX forgets the session. */
  debug_env[0] = right;
  proc = spawn (f, (const char *const[]){ "--headless", NULL }, debug_env);
  KC_TEST_WAIT_UNTIL (kc_test_lines_have (proc->err, "Synced"), 30);
  kc_sim_server_add_call (f->sim, "+998901234567", NULL, "1001", NULL);
  KC_TEST_WAIT_UNTIL (proc->out->len == 1, 30);
  kc_sim_server_expire_sessions (f->sim);
  KC_TEST_WAIT_UNTIL (kc_sim_server_get_request_count (f->sim, "Session.login") >= 2, 30);
  collect_command_lines (proc, seen);
  stop (proc);
  collect_output (proc, seen);
  /* The debug messages were on: the login was logged, without the password. */
  g_assert_true (kc_test_lines_have (proc->err, "Logging in to"));
  kc_test_proc_free (proc);

  /* A recording into the cache */
  proc = spawn (f, (const char *const[]){ "--headless", "--fetch-recording=cdr-1", NULL },
                debug_env);
  g_assert_cmpint (kc_test_proc_wait_exit (proc), ==, 0);
  g_assert_cmpuint (proc->out->len, ==, 1);
  recording = g_strdup (g_ptr_array_index (proc->out, 0));
  collect_output (proc, seen);
  kc_test_proc_free (proc);

  /* A crash: whatever it prints */
  proc = spawn (f, (const char *const[]){ "--headless", NULL }, debug_env);
  KC_TEST_WAIT_UNTIL (kc_test_lines_have (proc->err, "Logged in"), 30);
  g_subprocess_send_signal (proc->process, SIGSEGV);
  KC_TEST_WAIT_UNTIL (proc->exited && proc->out_closed && proc->err_closed, 30);
  g_assert_true (g_subprocess_get_if_signaled (proc->process));
  collect_output (proc, seen);
  kc_test_proc_free (proc);

  assert_not_in ("the output, the log or a command line", seen->str, seen->len);
  /* The files the check must have looked at are there. */
  g_assert_true (g_file_test (db, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_str_has_prefix (recording, f->home));
  g_assert_true (g_file_test (recording, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpuint (assert_no_file_holds_password (f->home), >=, 2);
}

/* --- File modes --------------------------------------------------------- */

static void
assert_mode (const char *path,
             guint       mode)
{
  struct stat st;

  if (g_stat (path, &st) != 0)
    g_error ("%s does not exist", path);
  if ((st.st_mode & 0777) != mode)
    g_error ("%s has mode %03o, not %03o", path, st.st_mode & 0777, mode);
}

/* With a umask that would let anyone read anything (set in main), every
 * folder kerio-cti makes is 0700 and every file 0600. */
static void
test_file_modes (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *password_env = g_strconcat ("KERIO_API_PASSWORD=", PASSWORD, NULL);
  g_autofree char *data_dir = g_build_filename (f->home, "data", "kerio-cti", NULL);
  g_autofree char *cache_dir = g_build_filename (f->home, "cache", "kerio-cti", NULL);
  g_autofree char *recordings_dir = g_build_filename (cache_dir, "recordings", NULL);
  g_autoptr (GDir) listing = NULL;
  const char *name;
  guint n_files = 0;
  KcTestProc *proc;

  proc = spawn (f, (const char *const[]){ "--headless", "--fetch-recording=cdr-1", NULL },
                (const char *const[]){ password_env, NULL });
  g_assert_cmpint (kc_test_proc_wait_exit (proc), ==, 0);
  kc_test_proc_free (proc);

  assert_mode (data_dir, 0700);
  assert_mode (cache_dir, 0700);
  assert_mode (recordings_dir, 0700);
  for (const char *const *dir = (const char *const[]){ data_dir, recordings_dir, NULL }; *dir;
       dir++)
    {
      g_clear_pointer (&listing, g_dir_close);
      listing = g_dir_open (*dir, 0, NULL);
      g_assert_nonnull (listing);
      while ((name = g_dir_read_name (listing)))
        {
          g_autofree char *path = g_build_filename (*dir, name, NULL);

          assert_mode (path, 0600);
          n_files++;
        }
    }
  /* At least the database and the recording */
  g_assert_cmpuint (n_files, >=, 2);

  /* The demo's history too */
  proc = spawn (f, (const char *const[]){ "--headless", "--demo", NULL }, NULL);
  KC_TEST_WAIT_UNTIL (kc_test_lines_have (proc->err, "Synced"), 30);
  stop (proc);
  kc_test_proc_free (proc);
  {
    g_autofree char *demo_db = g_build_filename (data_dir, "demo.db", NULL);

    assert_mode (demo_db, 0600);
  }
}

/* --- A password in the server address ---------------------------------- */

static void
test_password_in_host_not_repeated (Fixture       *f,
                                    gconstpointer  data)
{
  g_autofree char *host = g_strdup_printf ("KERIO_PBX_HOST=https://admin:%s@127.0.0.1:%u",
                                           PASSWORD, kc_sim_server_get_port (f->sim));
  g_autofree char *err = NULL;
  KcTestProc *proc;

  proc = spawn (f, (const char *const[]){ "--headless", NULL },
                (const char *const[]){ host, NULL });
  g_assert_cmpint (kc_test_proc_wait_exit (proc), ==, 2);
  err = kc_test_lines_join (proc->err);
  g_assert_nonnull (strstr (err, "KERIO_PBX_HOST"));
  assert_not_in ("the message about KERIO_PBX_HOST", err, strlen (err));
  kc_test_proc_free (proc);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  /* Whatever mode a file or folder gets is the one kerio-cti asked for. */
  umask (0);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/security/password-warning", test_password_warning);
  ADD ("/security/password-nowhere", test_password_nowhere);
  ADD ("/security/file-modes", test_file_modes);
  ADD ("/security/password-in-host-not-repeated", test_password_in_host_not_repeated);
#undef ADD

  return g_test_run ();
}
