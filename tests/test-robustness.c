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
#include "kc-test-headless.h"
#include "kc-test-util.h"
#include "sim/kc-sim-server.h"

/* The pages the simulator serves, and so the rows one page commit adds */
#define PAGE_CAP 500

typedef struct
{
  KcSimServer *sim;
  char        *home; /* data/, cache/ and config/ of the app live here */
  char        *db;
} Fixture;

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

/* kerio-cti --headless on the fixture's folders, a sync every 1.2 s so that
 * "later" comes soon; max_file_size 0: no limit */
static KcTestProc *
spawn (Fixture *f,
       gsize    max_file_size)
{
  g_autofree char *url = kc_sim_server_get_endpoint_url (f->sim);

  return kc_test_proc_spawn_full (f->home, url, (const char *const[]){ "--headless", NULL },
                                  (const char *const[]){ "KERIO_POLL_INTERVAL=0.2",
                                                         "KERIO_SYNC_INTERVAL=0.02", NULL },
                                  max_file_size > 0 ? limit_file_size : NULL,
                                  GSIZE_TO_POINTER (max_file_size));
}

/* SIGTERM, and the exit must be the clean one */
static void
stop (KcTestProc *proc)
{
  g_subprocess_send_signal (proc->process, SIGTERM);
  KC_TEST_WAIT_UNTIL (proc->exited && proc->out_closed && proc->err_closed, 60);
  g_assert_true (g_subprocess_get_if_exited (proc->process));
  g_assert_cmpint (g_subprocess_get_exit_status (proc->process), ==, 0);
}

static const char *
sync_result (KcTestProc  *proc,
             guint  i)
{
  return json_object_get_string_member (g_ptr_array_index (proc->sync_data, i), "result");
}

/* The first "sync" event from index `from` on whose result is `result`, or -1 */
static int
find_sync (KcTestProc       *proc,
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
  f->db = g_build_filename (f->home, "data", "kerio-cti", "calls.db", NULL);
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
  KcTestProc *proc;
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
  failure = g_ptr_array_index (proc->sync_data, 0);
  g_test_message ("sync failed: %s", json_object_get_string_member (failure, "message"));
  g_assert_cmpstr (json_object_get_string_member (failure, "reason"), ==, "disk-full");
  g_assert_nonnull (strstr (json_object_get_string_member (failure, "message"), "disk is full"));
  /* Said in the log too, once however often it fails */
  g_assert_true (kc_test_lines_have (proc->err, "disk is full"));

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
  kc_test_proc_free (proc);

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
  KcTestProc *proc;
  gint64 rows;

  add_history (f, n);
  create_history (f);
  lock = lock_exclusively (f);
  proc = spawn (f, 0);
  /* It has the first page of calls and is about to write it; it asks for
   * at most one page ahead of the one it stores, so the lock holds it at
   * the first two. */
  KC_TEST_WAIT_UNTIL (kc_sim_server_get_request_count (f->sim, "CallHistory.get") >= 1, 30);
  kc_test_run_for (2);
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "CallHistory.get"), <=, 2);
  g_assert_cmpuint (proc->syncs->len, ==, 0);
  unlock (lock);

  KC_TEST_WAIT_UNTIL (proc->syncs->len >= 1, 30);
  g_assert_cmpstr (sync_result (proc, 0), ==, "ok");
  g_assert_cmpint (json_object_get_int_member (g_ptr_array_index (proc->sync_data, 0), "newRecords"),
                   ==, n);
  stop (proc);
  kc_test_proc_free (proc);
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
  KcTestProc *proc;
  gint64 rows;

  add_history (f, n);
  create_history (f);
  lock = lock_exclusively (f);
  proc = spawn (f, 0);
  KC_TEST_WAIT_UNTIL (proc->syncs->len >= 1, 60);
  g_assert_false (proc->exited);
  failure = g_ptr_array_index (proc->sync_data, 0);
  g_test_message ("sync failed: %s", json_object_get_string_member (failure, "message"));
  g_assert_cmpstr (json_object_get_string_member (failure, "result"), ==, "failed");
  g_assert_cmpstr (json_object_get_string_member (failure, "reason"), ==, "database-locked");
  g_assert_true (kc_test_lines_have (proc->err, "database is locked"));
  unlock (lock);

  KC_TEST_WAIT_UNTIL (find_sync (proc, 1, "ok") >= 0, 60);
  stop (proc);
  kc_test_proc_free (proc);
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
  KcTestProc *first, *second;
  guint n_first, n_second;
  g_autofree char *source = NULL;
  sqlite3 *db;
  gint64 n_new = 0;
  gint64 rows;
  gint64 started;

  add_history (f, n);
  started = g_get_monotonic_time ();
  first = spawn (f, 0);
  second = spawn (f, 0);
  /* Until both have synced, or one of them is gone (then there is no
   * point waiting): what they said goes with a failure */
  KC_TEST_WAIT_UNTIL ((first->syncs->len >= 1 && second->syncs->len >= 1) || first->exited
                        || second->exited
                        || g_get_monotonic_time () - started > 60 * G_USEC_PER_SEC,
                      90);
  if (first->syncs->len < 1 || second->syncs->len < 1)
    {
      kc_test_proc_dump (first, "first");
      kc_test_proc_dump (second, "second");
      g_error ("Not both instances finished a sync: %u and %u sync events", first->syncs->len,
               second->syncs->len);
    }
  g_assert_cmpstr (sync_result (first, 0), ==, "ok");
  g_assert_cmpstr (sync_result (second, 0), ==, "ok");
  /* Each call was new to exactly one of them. */
  for (guint i = 0; i < first->syncs->len; i++)
    n_new += json_object_get_int_member (g_ptr_array_index (first->sync_data, i), "newRecords");
  for (guint i = 0; i < second->syncs->len; i++)
    n_new += json_object_get_int_member (g_ptr_array_index (second->sync_data, i), "newRecords");
  g_assert_cmpint (n_new, ==, n);

  /* Both see a live call and write it to the history when it ends; the
   * history keeps it once, and its CDR takes that row over. */
  call_id = g_strdup (kc_sim_server_add_call (f->sim, "+998901234567", NULL, "1001", NULL));
  KC_TEST_WAIT_UNTIL (first->out->len == 1 && second->out->len == 1, 20);
  kc_sim_server_end_call (f->sim, call_id, KC_SIM_CDR_NO_ANSWER);
  KC_TEST_WAIT_UNTIL (first->out->len == 2 && second->out->len == 2, 20);
  n_first = first->syncs->len;
  n_second = second->syncs->len;
  KC_TEST_WAIT_UNTIL (first->syncs->len >= n_first + 2 && second->syncs->len >= n_second + 2, 30);

  stop (first);
  stop (second);
  g_assert_cmpint (find_sync (first, 0, "failed"), ==, -1);
  g_assert_cmpint (find_sync (second, 0, "failed"), ==, -1);
  kc_test_proc_free (first);
  kc_test_proc_free (second);
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
