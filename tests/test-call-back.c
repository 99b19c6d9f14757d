/* test-call-back.c: who is still to be called back
 *
 * The rules on the store (kc-store-call-back.h), through every way a row
 * gets into or changes in the history: live rows, CDRs taking them over, the
 * PBX overruling a missed call, syncs from the simulator, a restart; and the
 * live list (KcFollowUp) the dashboard and the tray show.
 *
 * The follow-up starts with the local day the history was created, so the
 * calls here start now or later.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <sqlite3.h>

#include "core/kc-follow-up.h"
#include "core/kc-store-call-back.h"
#include "core/kc-sync.h"
#include "sim/kc-sim-server.h"
#include "kc-test-util.h"

#define CALLER   "+998901234567"
#define CALLER2  "+998935550011"
#define OPERATOR "1001"

typedef struct
{
  char    *dir;
  char    *path;
  KcStore *store;
  gint64   t0;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;

  f->dir = kc_test_make_tmpdir ();
  f->path = g_build_filename (f->dir, "calls.db", NULL);
  f->store = kc_store_open (f->path, &error);
  g_assert_no_error (error);
  f->t0 = g_get_real_time () / G_USEC_PER_SEC;
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->store);
  kc_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

static KcRecord *
make_record (const char   *call_id,
             const char   *from,
             const char   *to,
             gint64        start,
             KcCallStatus  status)
{
  KcRecord *record = kc_record_new ();

  record->call_id = g_strdup (call_id);
  record->from_number = g_strdup (from);
  record->to_number = g_strdup (to);
  kc_classify_call (from, to, NULL, 4, &record->direction);
  record->extension = g_strdup (record->direction == KC_DIRECTION_INCOMING ? to : from);
  record->start_time = start;
  record->duration = 30;
  record->end_time = start + 30;
  record->status = status;
  record->answered = status == KC_CALL_STATUS_ANSWERED ? 20 : 0;
  record->from_cdr = TRUE;
  return record;
}

/* Takes record */
static void
add_cdr (Fixture  *f,
         KcRecord *record)
{
  g_autoptr (GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) kc_record_free);
  g_autoptr (GError) error = NULL;

  g_ptr_array_add (records, record);
  g_assert_true (kc_store_upsert_records (f->store, records, NULL, &error));
  g_assert_no_error (error);
}

/* Takes record */
static void
add_live (Fixture  *f,
          KcRecord *record)
{
  g_autoptr (KcRecord) owned = record;
  g_autoptr (GError) error = NULL;

  owned->from_cdr = FALSE;
  g_assert_true (kc_store_add_live_record (f->store, owned, &error));
  g_assert_no_error (error);
}

static GPtrArray *
call_backs (KcStore    *store,
            const char *extension)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *list = kc_store_get_call_backs (store, extension, &error);

  g_assert_no_error (error);
  g_assert_nonnull (list);
  return list;
}

/* "number:t1,t2;number:t1" as offsets from t0, the list's order */
static char *
describe (Fixture    *f,
          const char *extension)
{
  g_autoptr (GPtrArray) list = call_backs (f->store, extension);
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < list->len; i++)
    {
      KcCallBack *caller = g_ptr_array_index (list, i);

      g_string_append_printf (text, "%s%s:", i > 0 ? ";" : "", kc_call_back_get_number (caller));
      for (guint j = 0; j < kc_call_back_get_n_attempts (caller); j++)
        g_string_append_printf (text, "%s%" G_GINT64_FORMAT, j > 0 ? "," : "",
                                kc_call_back_get_attempt (caller, j) - f->t0);
    }
  return g_string_free (text, FALSE);
}

#define assert_waiting(f, extension, expected)                 \
  G_STMT_START                                                 \
  {                                                            \
    g_autofree char *kc_described_ = describe (f, extension);  \
    g_assert_cmpstr (kc_described_, ==, expected);             \
  }                                                            \
  G_STMT_END

static void
test_missed_waits (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr (GPtrArray) list = NULL;
  KcCallBack *caller;

  assert_waiting (f, NULL, "");
  add_live (f, make_record ("a1", CALLER, OPERATOR, f->t0 + 10, KC_CALL_STATUS_MISSED));
  assert_waiting (f, NULL, CALLER ":10");
  add_cdr (f, make_record ("a2", CALLER, OPERATOR, f->t0 + 100, KC_CALL_STATUS_MISSED));
  add_cdr (f, make_record ("b1", CALLER2, OPERATOR, f->t0 + 50, KC_CALL_STATUS_MISSED));
  /* The caller who tried last first; each caller's attempts oldest first */
  assert_waiting (f, NULL, CALLER ":10,100;" CALLER2 ":50");

  list = call_backs (f->store, NULL);
  caller = g_ptr_array_index (list, 0);
  g_assert_cmpstr (kc_call_back_get_call_id (caller), ==, "a2");
  g_assert_cmpint (kc_call_back_get_last_attempt (caller), ==, f->t0 + 100);

  /* Busy, failed and outgoing calls are not missed calls to return, nor is
   * a caller without a number */
  add_cdr (f, make_record ("c1", "+998970000001", OPERATOR, f->t0 + 60, KC_CALL_STATUS_BUSY));
  add_cdr (f, make_record ("c2", "+998970000002", OPERATOR, f->t0 + 60, KC_CALL_STATUS_FAILED));
  add_cdr (f, make_record ("c3", OPERATOR, "+998970000003", f->t0 + 60, KC_CALL_STATUS_MISSED));
  add_cdr (f, make_record ("c4", "anonymous", OPERATOR, f->t0 + 60, KC_CALL_STATUS_MISSED));
  assert_waiting (f, NULL, CALLER ":10,100;" CALLER2 ":50");
}

/* An answered call with the number, at or after the attempts, either way
 * round and however the number is written, reaches the caller */
static void
test_answered_reaches (Fixture       *f,
                       gconstpointer  data)
{
  add_cdr (f, make_record ("a1", CALLER, OPERATOR, f->t0 + 10, KC_CALL_STATUS_MISSED));
  add_cdr (f, make_record ("b1", CALLER2, OPERATOR, f->t0 + 10, KC_CALL_STATUS_MISSED));
  /* Answered before the missed call: does not count */
  add_cdr (f, make_record ("a0", CALLER, OPERATOR, f->t0, KC_CALL_STATUS_ANSWERED));
  assert_waiting (f, NULL, CALLER ":10;" CALLER2 ":10");

  /* The operator calls back, dialling without +998 */
  add_live (f, make_record ("a2", OPERATOR, "901234567", f->t0 + 200, KC_CALL_STATUS_ANSWERED));
  assert_waiting (f, NULL, CALLER2 ":10");

  /* Calling back without an answer reaches nobody */
  add_cdr (f, make_record ("b2", OPERATOR, "998935550011", f->t0 + 300, KC_CALL_STATUS_MISSED));
  assert_waiting (f, NULL, CALLER2 ":10");
  /* The caller calls again and is answered */
  add_cdr (f, make_record ("b3", CALLER2, "1002", f->t0 + 400, KC_CALL_STATUS_ANSWERED));
  assert_waiting (f, NULL, "");

  /* A new missed call waits again, alone */
  add_cdr (f, make_record ("a3", CALLER, OPERATOR, f->t0 + 500, KC_CALL_STATUS_MISSED));
  assert_waiting (f, NULL, CALLER ":500");
}

static void
test_marked_done (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GError) error = NULL;

  add_cdr (f, make_record ("a1", CALLER, OPERATOR, f->t0 + 10, KC_CALL_STATUS_MISSED));
  add_cdr (f, make_record ("a2", CALLER, OPERATOR, f->t0 + 20, KC_CALL_STATUS_MISSED));
  add_cdr (f, make_record ("b1", CALLER2, OPERATOR, f->t0 + 30, KC_CALL_STATUS_MISSED));
  list = call_backs (f->store, NULL);
  g_assert_cmpuint (list->len, ==, 2);

  g_assert_true (kc_store_mark_called_back (f->store,
                                            kc_call_back_get_key (g_ptr_array_index (list, 1)),
                                            kc_call_back_get_last_attempt (g_ptr_array_index (list, 1)),
                                            &error));
  g_assert_no_error (error);
  assert_waiting (f, NULL, CALLER2 ":30");

  /* A missed call the operator had not seen yet is not done */
  add_cdr (f, make_record ("a3", CALLER, OPERATOR, f->t0 + 40, KC_CALL_STATUS_MISSED));
  assert_waiting (f, NULL, CALLER ":40;" CALLER2 ":30");

  /* Nor does one the sync brings late but older than the mark come back */
  add_cdr (f, make_record ("a0", CALLER, OPERATOR, f->t0 + 15, KC_CALL_STATUS_MISSED));
  assert_waiting (f, NULL, CALLER ":40;" CALLER2 ":30");
}

/* The sync's CDR takes over the live row of the same call: the attempt is
 * the same one, and rows the sync reads again change nothing */
static void
test_sync_takes_over (Fixture       *f,
                      gconstpointer  data)
{
  add_live (f, make_record ("live-1", CALLER, OPERATOR, f->t0 + 10, KC_CALL_STATUS_MISSED));
  assert_waiting (f, NULL, CALLER ":10");
  add_cdr (f, make_record ("1765.1", CALLER, OPERATOR, f->t0 + 11, KC_CALL_STATUS_MISSED));
  g_assert_cmpint (kc_store_count (f->store), ==, 1);
  assert_waiting (f, NULL, CALLER ":11");
  add_cdr (f, make_record ("1765.1", CALLER, OPERATOR, f->t0 + 11, KC_CALL_STATUS_MISSED));
  assert_waiting (f, NULL, CALLER ":11");

  /* A call that looked answered live went to voicemail: the CDR says
   * missed, and the caller waits */
  add_live (f, make_record ("live-2", CALLER2, OPERATOR, f->t0 + 50, KC_CALL_STATUS_ANSWERED));
  assert_waiting (f, NULL, CALLER ":11");
  add_cdr (f, make_record ("1765.2", CALLER2, OPERATOR, f->t0 + 50, KC_CALL_STATUS_MISSED));
  assert_waiting (f, NULL, CALLER2 ":50;" CALLER ":11");
}

/* The PBX's record shows a call that ended "missed" live was answered (or
 * was another extension's): the tracker's correction clears the caller */
static void
test_correction_clears (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr (KcRecord) answered = NULL;
  g_autoptr (GError) error = NULL;

  add_live (f, make_record ("live-1", CALLER, OPERATOR, f->t0 + 10, KC_CALL_STATUS_MISSED));
  add_live (f, make_record ("live-2", CALLER2, OPERATOR, f->t0 + 20, KC_CALL_STATUS_MISSED));
  assert_waiting (f, NULL, CALLER2 ":20;" CALLER ":10");

  answered = make_record ("live-1", CALLER, OPERATOR, f->t0 + 10, KC_CALL_STATUS_ANSWERED);
  g_assert_true (kc_store_correct_live_record (f->store, "live-1", answered, &error));
  g_assert_no_error (error);
  assert_waiting (f, NULL, CALLER2 ":20");

  /* Removed: it was another extension's call. The next row takes the
   * removed one's id, and is still read in. */
  g_assert_true (kc_store_correct_live_record (f->store, "live-2", NULL, &error));
  g_assert_no_error (error);
  assert_waiting (f, NULL, "");
  add_live (f, make_record ("live-3", CALLER2, OPERATOR, f->t0 + 30, KC_CALL_STATUS_MISSED));
  assert_waiting (f, NULL, CALLER2 ":30");

  /* An answered call taken back undoes the reaching */
  add_live (f, make_record ("live-4", CALLER2, OPERATOR, f->t0 + 40, KC_CALL_STATUS_ANSWERED));
  assert_waiting (f, NULL, "");
  g_assert_true (kc_store_correct_live_record (f->store, "live-4", NULL, &error));
  assert_waiting (f, NULL, CALLER2 ":30");

  /* A row removed from the middle takes its attempt along, no other */
  add_live (f, make_record ("live-5", CALLER, OPERATOR, f->t0 + 50, KC_CALL_STATUS_MISSED));
  g_assert_true (kc_store_correct_live_record (f->store, "live-3", NULL, &error));
  assert_waiting (f, NULL, CALLER ":50");

  /* The last two rows removed, the lower first: the next row takes the
   * lower one's id, and is still read in */
  add_live (f, make_record ("live-6", CALLER2, OPERATOR, f->t0 + 60, KC_CALL_STATUS_MISSED));
  add_live (f, make_record ("live-7", CALLER2, OPERATOR, f->t0 + 70, KC_CALL_STATUS_MISSED));
  assert_waiting (f, NULL, CALLER2 ":60,70;" CALLER ":50");
  g_assert_true (kc_store_correct_live_record (f->store, "live-6", NULL, &error));
  g_assert_true (kc_store_correct_live_record (f->store, "live-7", NULL, &error));
  add_live (f, make_record ("live-8", CALLER2, OPERATOR, f->t0 + 80, KC_CALL_STATUS_MISSED));
  assert_waiting (f, NULL, CALLER2 ":80;" CALLER ":50");
}

static void
test_restart_keeps (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GError) error = NULL;

  add_live (f, make_record ("a1", CALLER, OPERATOR, f->t0 + 10, KC_CALL_STATUS_MISSED));
  add_live (f, make_record ("b1", CALLER2, OPERATOR, f->t0 + 20, KC_CALL_STATUS_MISSED));
  list = call_backs (f->store, NULL);
  g_assert_true (kc_store_mark_called_back (f->store,
                                            kc_call_back_get_key (g_ptr_array_index (list, 0)),
                                            f->t0 + 20, &error));
  /* Written, never read in by this store before it closes */
  add_live (f, make_record ("a2", CALLER, OPERATOR, f->t0 + 30, KC_CALL_STATUS_MISSED));

  g_clear_object (&f->store);
  f->store = kc_store_open (f->path, &error);
  g_assert_no_error (error);
  assert_waiting (f, NULL, CALLER ":10,30");
}

/* With the operator's extension, only the missed calls that rang it are
 * theirs to return; any answered call reaches the caller */
static void
test_extension (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  guint n = G_MAXUINT;

  add_cdr (f, make_record ("a1", CALLER, OPERATOR, f->t0 + 10, KC_CALL_STATUS_MISSED));
  add_cdr (f, make_record ("b1", CALLER2, "1002", f->t0 + 20, KC_CALL_STATUS_MISSED));
  assert_waiting (f, OPERATOR, CALLER ":10");
  assert_waiting (f, "1002", CALLER2 ":20");
  assert_waiting (f, NULL, CALLER2 ":20;" CALLER ":10");

  g_assert_true (kc_store_count_call_backs (f->store, f->t0, f->t0 + 3600, OPERATOR, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 1);
  g_assert_true (kc_store_count_call_backs (f->store, f->t0, f->t0 + 3600, NULL, &n, &error));
  g_assert_cmpuint (n, ==, 2);
  g_assert_true (kc_store_count_call_backs (f->store, f->t0 + 15, f->t0 + 3600, NULL, &n, &error));
  g_assert_cmpuint (n, ==, 1);

  /* A colleague took the caller's next call */
  add_cdr (f, make_record ("a2", CALLER, "1003", f->t0 + 30, KC_CALL_STATUS_ANSWERED));
  assert_waiting (f, OPERATOR, "");
}

/* Missed calls before the day the follow-up began are history */
static void
test_before_start (Fixture       *f,
                   gconstpointer  data)
{
  add_cdr (f, make_record ("old", CALLER, OPERATOR, f->t0 - 3 * 24 * 3600, KC_CALL_STATUS_MISSED));
  add_cdr (f, make_record ("new", CALLER2, OPERATOR, f->t0 + 10, KC_CALL_STATUS_MISSED));
  assert_waiting (f, NULL, CALLER2 ":10");
}

/* A history from before the follow-up: the upgrade takes in the day's
 * calls already there */
static void
test_upgrade (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  sqlite3 *db;

  add_cdr (f, make_record ("a1", CALLER, OPERATOR, f->t0 + 10, KC_CALL_STATUS_MISSED));
  add_cdr (f, make_record ("b1", CALLER2, OPERATOR, f->t0 + 20, KC_CALL_STATUS_MISSED));
  add_cdr (f, make_record ("b2", OPERATOR, CALLER2, f->t0 + 30, KC_CALL_STATUS_ANSWERED));
  g_clear_object (&f->store);

  /* Back to schema v4: the caller context's v6 undone, then v5 */
  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db,
                                 "DROP INDEX calls_party_start; DROP TABLE directory;"
                                 "DROP TABLE caller_names;"
                                 "DROP TRIGGER follow_up_changed; DROP TRIGGER follow_up_removed;"
                                 "DROP TABLE follow_up; DROP TABLE follow_up_done;"
                                 "DROP VIEW follow_up_source; DROP TABLE follow_up_state;"
                                 "PRAGMA user_version = 4;",
                                 NULL, NULL, NULL),
                   ==, SQLITE_OK);
  sqlite3_close (db);

  f->store = kc_store_open (f->path, &error);
  g_assert_no_error (error);
  assert_waiting (f, NULL, CALLER ":10");
}

/* --- Syncs from the simulator */

static gboolean
sync_once (KcSync *sync)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  gboolean ok;

  kc_sync_run_async (sync, NULL, kc_test_store_result, &result);
  KC_TEST_AWAIT (result);
  ok = kc_sync_run_finish (sync, result, NULL, &error);
  g_assert_no_error (error);
  return ok;
}

static void
test_sync_keeps (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr (KcSimServer) sim = kc_sim_server_new ();
  g_autoptr (KcKerioClient) client = NULL;
  g_autoptr (KcSync) sync = NULL;
  g_autoptr (GUri) endpoint = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;

  g_assert_true (kc_sim_server_listen (sim, 0, NULL, &error));
  url = kc_sim_server_get_endpoint_url (sim);
  endpoint = g_uri_parse (url, G_URI_FLAGS_NONE, &error);
  client = kc_kerio_client_new (endpoint, KC_SIM_DEFAULT_USERNAME, KC_SIM_DEFAULT_PASSWORD);
  sync = kc_sync_new (client, f->store, 60, OPERATOR, 4);

  /* Seen live first, then the PBX's records of the morning */
  add_live (f, make_record ("live-1", CALLER, OPERATOR, f->t0 + 10, KC_CALL_STATUS_MISSED));
  kc_sim_server_add_cdr (sim, "1.1", f->t0 + 10, CALLER, OPERATOR, KC_SIM_CDR_NO_ANSWER, 20, 0);
  kc_sim_server_add_cdr (sim, "1.2", f->t0 + 20, CALLER2, OPERATOR, KC_SIM_CDR_NO_ANSWER, 20, 0);
  kc_sim_server_add_cdr (sim, "1.3", f->t0 + 30, "+998990000000", OPERATOR, KC_SIM_CDR_ANSWERED,
                         60, 50);
  g_assert_true (sync_once (sync));
  g_assert_cmpint (kc_store_count (f->store), ==, 3);
  assert_waiting (f, OPERATOR, CALLER2 ":20;" CALLER ":10");

  /* Read again: nothing changes */
  g_assert_true (sync_once (sync));
  assert_waiting (f, OPERATOR, CALLER2 ":20;" CALLER ":10");

  /* The operator called the first caller back from a desk phone the app
   * did not see live; the next sync brings it */
  kc_sim_server_add_cdr (sim, "1.4", f->t0 + 40, OPERATOR, CALLER, KC_SIM_CDR_ANSWERED, 90, 80);
  g_assert_true (sync_once (sync));
  assert_waiting (f, OPERATOR, CALLER2 ":20");
}

/* --- The live list */

typedef struct
{
  guint position, removed, added;
  guint n;
} Changes;

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Changes    *changes)
{
  changes->position = position;
  changes->removed = removed;
  changes->added = added;
  changes->n++;
}

static void
test_live_list (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr (KcFollowUp) follow_up = NULL;
  g_autoptr (KcCallBack) first = NULL;
  g_autoptr (GError) error = NULL;
  Changes changes = { 0 };
  GListModel *model;

  add_live (f, make_record ("a1", CALLER, OPERATOR, f->t0 + 10, KC_CALL_STATUS_MISSED));
  follow_up = kc_follow_up_new (f->store, OPERATOR);
  model = G_LIST_MODEL (follow_up);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1);
  g_signal_connect (model, "items-changed", G_CALLBACK (on_items_changed), &changes);

  /* A second caller misses: the list grows at the top, shortly after */
  add_live (f, make_record ("b1", CALLER2, OPERATOR, f->t0 + 20, KC_CALL_STATUS_MISSED));
  KC_TEST_WAIT_UNTIL (changes.n == 1, 5);
  g_assert_cmpuint (changes.position, ==, 0);
  g_assert_cmpuint (changes.removed, ==, 0);
  g_assert_cmpuint (changes.added, ==, 1);
  first = g_list_model_get_item (model, 0);
  g_assert_cmpstr (kc_call_back_get_number (first), ==, CALLER2);

  /* A change that leaves the list as it was tells nobody */
  add_live (f, make_record ("c1", OPERATOR, "+998970000003", f->t0 + 25, KC_CALL_STATUS_MISSED));
  kc_test_run_for (0.5);
  g_assert_cmpuint (changes.n, ==, 1);

  /* The first caller is reached */
  add_live (f, make_record ("a2", OPERATOR, CALLER, f->t0 + 30, KC_CALL_STATUS_ANSWERED));
  KC_TEST_WAIT_UNTIL (changes.n == 2, 5);
  g_assert_cmpuint (changes.position, ==, 1);
  g_assert_cmpuint (changes.removed, ==, 1);
  g_assert_cmpuint (changes.added, ==, 0);

  /* Marked done: gone at once */
  g_assert_true (kc_follow_up_mark_done (follow_up, first, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (changes.n, ==, 3);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) \
  g_test_add ("/call-back/" name, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("missed-waits", test_missed_waits);
  ADD ("answered-reaches", test_answered_reaches);
  ADD ("marked-done", test_marked_done);
  ADD ("sync-takes-over", test_sync_takes_over);
  ADD ("correction-clears", test_correction_clears);
  ADD ("restart-keeps", test_restart_keeps);
  ADD ("extension", test_extension);
  ADD ("before-start", test_before_start);
  ADD ("upgrade", test_upgrade);
  ADD ("sync-keeps", test_sync_keeps);
  ADD ("live-list", test_live_list);
#undef ADD

  return g_test_run ();
}
