/* test-robustness.c: `kerio-cti --headless` when the disk is full or the
 * history is locked by another process
 *
 * The real executable runs as a child process against the simulator, which
 * lives in this test's main loop. The disk fills up for real: the child runs
 * under a file size limit (RLIMIT_FSIZE, no root needed) that this test lifts
 * again with prlimit(), as space coming back. The locks are real SQLite locks
 * taken by this test process on the child's calls.db.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <json-glib/json-glib.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/resource.h>

#include "core/kc-store.h"
#include "kc-test-util.h"
#include "sim/kc-sim-server.h"

/* The pages the simulator serves, and so the rows one page commit adds */
#define PAGE_CAP 500

typedef struct
{
  GSubprocess *process;
  GPtrArray   *calls; /* stdout lines other than "sync" events */
  GPtrArray   *syncs; /* "data" of each "sync" event, as JsonObject */
  GPtrArray   *err;   /* lines of stderr */
  gboolean     out_closed;
  gboolean     err_closed;
  gboolean     exited;
} Proc;

typedef struct
{
  KcSimServer *sim;
  char        *home; /* XDG_DATA_HOME, XDG_CACHE_HOME and XDG_CONFIG_HOME */
  char        *db;
} Fixture;

static void read_next_line (GDataInputStream *stream,
                            Proc             *proc);

static void
line_read (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Proc *proc = user_data;
  GDataInputStream *stream = G_DATA_INPUT_STREAM (source);
  char *line = g_data_input_stream_read_line_finish_utf8 (stream, result, NULL, NULL);
  gboolean is_out = g_object_get_data (source, "is-out") != NULL;

  if (line == NULL)
    {
      if (is_out)
        proc->out_closed = TRUE;
      else
        proc->err_closed = TRUE;
      g_object_unref (stream);
      return;
    }

  if (is_out)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonNode) root = json_from_string (line, &error);
      JsonObject *event;

      /* Every line of stdout is an event object. */
      g_assert_no_error (error);
      g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
      event = json_node_get_object (root);
      if (g_strcmp0 (json_object_get_string_member (event, "event"), "sync") == 0)
        {
          g_ptr_array_add (proc->syncs,
                           json_object_ref (json_object_get_object_member (event, "data")));
          g_free (line);
        }
      else
        {
          g_ptr_array_add (proc->calls, line);
        }
    }
  else
    {
      g_ptr_array_add (proc->err, line);
    }
  read_next_line (stream, proc);
}

static void
read_next_line (GDataInputStream *stream,
                Proc             *proc)
{
  g_data_input_stream_read_line_async (stream, G_PRIORITY_DEFAULT, NULL, line_read, proc);
}

static void
exited (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  Proc *proc = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  proc->exited = TRUE;
}

/* In the child between fork and exec: files may grow to this many bytes, and
 * a write past it fails with EFBIG instead of killing the process, as a full
 * disk fails with ENOSPC. */
static void
limit_file_size (gpointer user_data)
{
  struct rlimit limit;

  getrlimit (RLIMIT_FSIZE, &limit);
  limit.rlim_cur = GPOINTER_TO_SIZE (user_data);
  setrlimit (RLIMIT_FSIZE, &limit);
  signal (SIGXFSZ, SIG_IGN);
  kc_test_die_with_parent (NULL);
}

/* kerio-cti --headless on the fixture's folders; max_file_size 0: no limit */
static Proc *
spawn (Fixture *f,
       gsize    max_file_size)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *url = kc_sim_server_get_endpoint_url (f->sim);
  Proc *proc = g_new0 (Proc, 1);
  GDataInputStream *out;
  GDataInputStream *err;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  for (const char *const *v = (const char *const[]){ "KERIO_EXTENSION", "KERIO_EXTENSION_DIGITS",
                                                     "KERIO_TLS_PIN", NULL };
       *v; v++)
    g_subprocess_launcher_unsetenv (launcher, *v);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", f->home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", f->home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", f->home, TRUE);
  g_subprocess_launcher_setenv (launcher, "KERIO_PBX_HOST", url, TRUE);
  g_subprocess_launcher_setenv (launcher, "KERIO_API_USERNAME", KC_SIM_DEFAULT_USERNAME, TRUE);
  g_subprocess_launcher_setenv (launcher, "KERIO_API_PASSWORD", KC_SIM_DEFAULT_PASSWORD, TRUE);
  g_subprocess_launcher_setenv (launcher, "KERIO_POLL_INTERVAL", "0.2", TRUE);
  /* A sync every 1.2 s, so that "later" comes soon */
  g_subprocess_launcher_setenv (launcher, "KERIO_SYNC_INTERVAL", "0.02", TRUE);
  if (max_file_size > 0)
    g_subprocess_launcher_set_child_setup (launcher, limit_file_size,
                                           GSIZE_TO_POINTER (max_file_size), NULL);
  else
    g_subprocess_launcher_set_child_setup (launcher, kc_test_die_with_parent, NULL, NULL);

  proc->process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("KERIO_CTI"),
                                               "--headless", NULL);
  g_assert_no_error (error);
  proc->calls = g_ptr_array_new_with_free_func (g_free);
  proc->syncs = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  proc->err = g_ptr_array_new_with_free_func (g_free);

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc->process));
  err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (proc->process));
  g_object_set_data (G_OBJECT (out), "is-out", GINT_TO_POINTER (1));
  read_next_line (out, proc);
  read_next_line (err, proc);
  g_subprocess_wait_async (proc->process, NULL, exited, proc);
  return proc;
}

/* SIGTERM, and the exit must be the clean one */
static void
stop (Proc *proc)
{
  g_subprocess_send_signal (proc->process, SIGTERM);
  KC_TEST_WAIT_UNTIL (proc->exited && proc->out_closed && proc->err_closed, 60);
  g_assert_true (g_subprocess_get_if_exited (proc->process));
  g_assert_cmpint (g_subprocess_get_exit_status (proc->process), ==, 0);
}

static void
proc_free (Proc *proc)
{
  if (!proc->exited)
    {
      g_subprocess_force_exit (proc->process);
      KC_TEST_WAIT_UNTIL (proc->exited, 10);
    }
  KC_TEST_WAIT_UNTIL (proc->out_closed && proc->err_closed, 10);
  g_object_unref (proc->process);
  g_ptr_array_unref (proc->calls);
  g_ptr_array_unref (proc->syncs);
  g_ptr_array_unref (proc->err);
  g_free (proc);
}

static gboolean
has_line (GPtrArray  *lines,
          const char *needle)
{
  for (guint i = 0; i < lines->len; i++)
    if (strstr (g_ptr_array_index (lines, i), needle))
      return TRUE;
  return FALSE;
}

static const char *
sync_result (Proc  *proc,
             guint  i)
{
  return json_object_get_string_member (g_ptr_array_index (proc->syncs, i), "result");
}

/* The first "sync" event from index `from` on whose result is `result`, or -1 */
static int
find_sync (Proc       *proc,
           guint       from,
           const char *result)
{
  for (guint i = from; i < proc->syncs->len; i++)
    if (g_strcmp0 (sync_result (proc, i), result) == 0)
      return (int) i;
  return -1;
}

/* Read-only, so that looking does not change what the app finds */
static sqlite3 *
open_db (Fixture *f)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (f->db, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 10000);
  return db;
}

static char *
db_text (sqlite3    *db,
         const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  char *text;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return text;
}

/* The history as another program would find it: it must pass SQLite's own
 * check, and hold no call twice. *rows: its row count. */
static void
assert_history_sound (Fixture *f,
                      gint64  *rows)
{
  sqlite3 *db = open_db (f);
  g_autofree char *check = db_text (db, "PRAGMA integrity_check");
  g_autofree char *count = db_text (db, "SELECT count(*) FROM calls");
  g_autofree char *distinct = db_text (db, "SELECT count(DISTINCT call_id) FROM calls");

  g_assert_cmpstr (check, ==, "ok");
  g_assert_cmpstr (distinct, ==, count);
  *rows = g_ascii_strtoll (count, NULL, 10);
  sqlite3_close (db);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;

  f->home = kc_test_make_tmpdir ();
  f->db = g_build_filename (f->home, "kerio-cti", "calls.db", NULL);
  f->sim = kc_sim_server_new ();
  kc_sim_server_set_page_cap (f->sim, PAGE_CAP);
  kc_sim_server_listen (f->sim, 0, NULL, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->sim);
  kc_test_rm_rf (f->home);
  g_free (f->home);
  g_free (f->db);
}

static void
add_history (Fixture *f,
             guint    n)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  kc_sim_server_add_generated_cdrs (f->sim, "hist", n, now - (gint64) n * 60, 60);
}

/* --- Disk full ---------------------------------------------------------- */

static void
test_disk_full (Fixture       *f,
                gconstpointer  data)
{
  const guint n = 6000;
  struct rlimit unlimited;
  Proc *proc;
  GPid pid;
  JsonObject *failure;
  gint64 rows;
  int first_ok;

  add_history (f, n);
  /* Room for the empty history, not for 6,000 calls (about 3 MB) */
  proc = spawn (f, 512 * 1024);

  KC_TEST_WAIT_UNTIL (proc->syncs->len >= 2 || proc->exited, 60);
  g_assert_false (proc->exited);
  /* Every sync fails the same way while the disk stays full. */
  g_assert_cmpint (find_sync (proc, 0, "ok"), ==, -1);
  failure = g_ptr_array_index (proc->syncs, 0);
  g_test_message ("sync failed: %s", json_object_get_string_member (failure, "message"));
  g_assert_cmpstr (json_object_get_string_member (failure, "reason"), ==, "disk-full");
  g_assert_nonnull (strstr (json_object_get_string_member (failure, "message"), "disk is full"));
  /* Said in the log too, once however often it fails */
  g_assert_true (has_line (proc->err, "disk is full"));

  /* What is there is whole: the empty history, or whole pages committed
   * before the disk filled up; never a torn transaction. */
  assert_history_sound (f, &rows);
  g_assert_cmpint (rows, <, n);
  g_assert_cmpint (rows % PAGE_CAP, ==, 0);

  /* Space comes back: the same process catches up by itself. */
  pid = g_ascii_strtoll (g_subprocess_get_identifier (proc->process), NULL, 10);
  unlimited.rlim_cur = RLIM_INFINITY;
  unlimited.rlim_max = RLIM_INFINITY;
  g_assert_cmpint (prlimit (pid, RLIMIT_FSIZE, &unlimited, NULL), ==, 0);
  KC_TEST_WAIT_UNTIL ((first_ok = find_sync (proc, 0, "ok")) >= 0, 60);
  g_assert_false (proc->exited);
  stop (proc);
  proc_free (proc);

  assert_history_sound (f, &rows);
  g_assert_cmpint (rows, ==, n);
}

/* --- Locked by another process ------------------------------------------ */

/* The app's history, made by the app itself and then left alone */
static void
create_history (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KcStore) store = kc_store_open (f->db, &error);

  g_assert_no_error (error);
}

static sqlite3 *
lock_exclusively (Fixture *f)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (f->db, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "BEGIN EXCLUSIVE", NULL, NULL, NULL), ==, SQLITE_OK);
  return db;
}

static void
unlock (sqlite3 *db)
{
  g_assert_cmpint (sqlite3_exec (db, "COMMIT", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

/* Held for less than the app's busy timeout, the lock only delays the sync. */
static void
test_locked_briefly (Fixture       *f,
                     gconstpointer  data)
{
  const guint n = 3000;
  sqlite3 *lock;
  Proc *proc;
  gint64 rows;

  add_history (f, n);
  create_history (f);
  lock = lock_exclusively (f);
  proc = spawn (f, 0);
  /* It has the first page of calls and is about to write it; it stores each
   * page before it asks for the next, so the lock holds it at the first. */
  KC_TEST_WAIT_UNTIL (kc_sim_server_get_request_count (f->sim, "CallHistory.get") >= 1, 30);
  kc_test_run_for (2);
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "CallHistory.get"), ==, 1);
  g_assert_cmpuint (proc->syncs->len, ==, 0);
  unlock (lock);

  KC_TEST_WAIT_UNTIL (proc->syncs->len >= 1, 30);
  g_assert_cmpstr (sync_result (proc, 0), ==, "ok");
  g_assert_cmpint (json_object_get_int_member (g_ptr_array_index (proc->syncs, 0), "newRecords"),
                   ==, n);
  stop (proc);
  proc_free (proc);
  assert_history_sound (f, &rows);
  g_assert_cmpint (rows, ==, n);
}

/* Held for longer, the sync gives up with a clear reason and the next one
 * brings every call. */
static void
test_locked_long (Fixture       *f,
                  gconstpointer  data)
{
  const guint n = 3000;
  JsonObject *failure;
  sqlite3 *lock;
  Proc *proc;
  gint64 rows;

  add_history (f, n);
  create_history (f);
  lock = lock_exclusively (f);
  proc = spawn (f, 0);
  KC_TEST_WAIT_UNTIL (proc->syncs->len >= 1, 60);
  g_assert_false (proc->exited);
  failure = g_ptr_array_index (proc->syncs, 0);
  g_test_message ("sync failed: %s", json_object_get_string_member (failure, "message"));
  g_assert_cmpstr (json_object_get_string_member (failure, "result"), ==, "failed");
  g_assert_cmpstr (json_object_get_string_member (failure, "reason"), ==, "database-locked");
  g_assert_true (has_line (proc->err, "database is locked"));
  unlock (lock);

  KC_TEST_WAIT_UNTIL (find_sync (proc, 1, "ok") >= 0, 60);
  stop (proc);
  proc_free (proc);
  assert_history_sound (f, &rows);
  g_assert_cmpint (rows, ==, n);
}

/* --- A second instance on the same history ------------------------------ */

/* Both run: SQLite serialises their writes, so the second instance waits for
 * the first's transaction instead of being refused; a supervisor's second
 * start and `--fetch-recording` beside a running app rely on that. */
static void
test_second_instance (Fixture       *f,
                      gconstpointer  data)
{
  const guint n = 10000;
  g_autofree char *call_id = NULL;
  Proc *first, *second;
  guint n_first, n_second;
  g_autofree char *source = NULL;
  sqlite3 *db;
  gint64 n_new = 0;
  gint64 rows;

  add_history (f, n);
  first = spawn (f, 0);
  second = spawn (f, 0);
  KC_TEST_WAIT_UNTIL (first->syncs->len >= 1 && second->syncs->len >= 1, 60);
  g_assert_cmpstr (sync_result (first, 0), ==, "ok");
  g_assert_cmpstr (sync_result (second, 0), ==, "ok");
  /* Each call was new to exactly one of them. */
  for (guint i = 0; i < first->syncs->len; i++)
    n_new += json_object_get_int_member (g_ptr_array_index (first->syncs, i), "newRecords");
  for (guint i = 0; i < second->syncs->len; i++)
    n_new += json_object_get_int_member (g_ptr_array_index (second->syncs, i), "newRecords");
  g_assert_cmpint (n_new, ==, n);

  /* Both see a live call and write it to the history when it ends; the
   * history keeps it once, and its CDR takes that row over. */
  call_id = g_strdup (kc_sim_server_add_call (f->sim, "+998901234567", NULL, "1001", NULL));
  KC_TEST_WAIT_UNTIL (first->calls->len == 1 && second->calls->len == 1, 20);
  kc_sim_server_end_call (f->sim, call_id, KC_SIM_CDR_NO_ANSWER);
  KC_TEST_WAIT_UNTIL (first->calls->len == 2 && second->calls->len == 2, 20);
  n_first = first->syncs->len;
  n_second = second->syncs->len;
  KC_TEST_WAIT_UNTIL (first->syncs->len >= n_first + 2 && second->syncs->len >= n_second + 2, 30);

  stop (first);
  stop (second);
  g_assert_cmpint (find_sync (first, 0, "failed"), ==, -1);
  g_assert_cmpint (find_sync (second, 0, "failed"), ==, -1);
  proc_free (first);
  proc_free (second);
  assert_history_sound (f, &rows);
  g_assert_cmpint (rows, ==, n + 1);
  db = open_db (f);
  source = db_text (db, "SELECT group_concat(source) FROM calls WHERE call_id NOT LIKE 'hist-%'");
  g_assert_cmpstr (source, ==, "cdr");
  sqlite3_close (db);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/robustness/disk-full", test_disk_full);
  ADD ("/robustness/locked-briefly", test_locked_briefly);
  ADD ("/robustness/locked-long", test_locked_long);
  ADD ("/robustness/second-instance", test_second_instance);
#undef ADD

  return g_test_run ();
}
