/* test-sync.c: the call history kept in step with the PBX (simulator)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <sqlite3.h>

#include "core/kc-store-context.h"
#include "core/kc-sync.h"
#include "sim/kc-sim-server.h"
#include "kc-test-util.h"

#define EXTENSION_DIGITS 4

typedef struct
{
  char          *dir;
  KcSimServer   *sim;
  KcKerioClient *client;
  KcStore       *store;
  KcSync        *sync;
  gint64         t0;

  guint          n_synced;
  guint          last_n_new;
  guint          n_failed;
  GError        *last_error;
} Fixture;

static void
on_synced (KcSync  *sync,
           guint    n_new,
           Fixture *f)
{
  f->n_synced++;
  f->last_n_new = n_new;
}

static void
on_failed (KcSync       *sync,
           const GError *error,
           Fixture      *f)
{
  f->n_failed++;
  g_clear_error (&f->last_error);
  f->last_error = g_error_copy (error);
}

static void
make_sync (Fixture    *f,
           double      interval_minutes,
           const char *extension)
{
  g_clear_object (&f->sync);
  f->sync = kc_sync_new (f->client, f->store, interval_minutes, extension, EXTENSION_DIGITS);
  g_signal_connect (f->sync, "synced", G_CALLBACK (on_synced), f);
  g_signal_connect (f->sync, "failed", G_CALLBACK (on_failed), f);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GUri) endpoint = NULL;
  g_autofree char *url = NULL;
  g_autofree char *path = NULL;

  f->dir = kc_test_make_tmpdir ();
  path = g_build_filename (f->dir, "calls.db", NULL);
  f->store = kc_store_open (path, &error);
  g_assert_no_error (error);

  f->sim = kc_sim_server_new ();
  g_assert_true (kc_sim_server_listen (f->sim, 0, NULL, &error));
  g_assert_no_error (error);
  url = kc_sim_server_get_endpoint_url (f->sim);
  endpoint = g_uri_parse (url, G_URI_FLAGS_NONE, &error);
  g_assert_no_error (error);
  f->client = kc_kerio_client_new (endpoint, KC_SIM_DEFAULT_USERNAME, KC_SIM_DEFAULT_PASSWORD);

  /* Calls from two hours ago: well inside any window the sync reads */
  f->t0 = g_get_real_time () / G_USEC_PER_SEC - 2 * 60 * 60;
  make_sync (f, 60, NULL);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->sync);
  g_clear_object (&f->client);
  g_clear_object (&f->sim);
  g_clear_object (&f->store);
  g_clear_error (&f->last_error);
  kc_test_rm_rf (f->dir);
  g_free (f->dir);
}

static gboolean
sync_once (Fixture  *f,
           guint    *n_new,
           GError  **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  kc_sync_run_async (f->sync, NULL, kc_test_store_result, &result);
  KC_TEST_AWAIT (result);
  return kc_sync_run_finish (f->sync, result, n_new, error);
}

static guint
sync_ok (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  guint n_synced = f->n_synced;
  guint n_new = G_MAXUINT;

  g_assert_true (sync_once (f, &n_new, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f->n_synced, ==, n_synced + 1);
  g_assert_cmpuint (f->last_n_new, ==, n_new);
  return n_new;
}

static KcRecord *
lookup (Fixture    *f,
        const char *call_id)
{
  g_autoptr (GError) error = NULL;
  KcRecord *record = kc_store_lookup (f->store, call_id, &error);

  g_assert_no_error (error);
  g_assert_nonnull (record);
  return record;
}

static void
assert_call (Fixture     *f,
             const char  *call_id,
             KcDirection  direction,
             const char  *extension)
{
  g_autoptr (KcRecord) record = lookup (f, call_id);

  g_assert_cmpstr (kc_direction_to_string (record->direction), ==,
                   kc_direction_to_string (direction));
  g_assert_cmpstr (record->extension, ==, extension);
}

static void
test_sync_initial (Fixture       *f,
                   gconstpointer  data)
{
  const guint n = 23;

  /* Pages smaller than what the client asks for, as real firmware does */
  kc_sim_server_set_page_cap (f->sim, 5);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *id = g_strdup_printf ("cdr-%02u", i);
      g_autofree char *external = g_strdup_printf ("+9989%08u", 10000000 + i);
      gint64 ts = f->t0 + i * 90;

      if (i % 2 == 0)
        kc_sim_server_add_cdr (f->sim, id, ts, external, "1001", KC_SIM_CDR_ANSWERED, 65, 50);
      else
        kc_sim_server_add_cdr (f->sim, id, ts, "1001", external, KC_SIM_CDR_NO_ANSWER, 20, 0);
    }

  g_assert_cmpuint (sync_ok (f), ==, n);
  g_assert_cmpint (kc_store_count (f->store), ==, n);
  g_assert_cmpuint (f->n_failed, ==, 0);

  assert_call (f, "cdr-00", KC_DIRECTION_INCOMING, "1001");
  assert_call (f, "cdr-01", KC_DIRECTION_OUTGOING, "1001");
  {
    g_autoptr (KcRecord) in = lookup (f, "cdr-22");
    g_autoptr (KcRecord) out = lookup (f, "cdr-21");

    g_assert_cmpstr (in->from_number, ==, "+998910000022");
    g_assert_cmpstr (in->to_number, ==, "1001");
    g_assert_cmpint (in->start_time, ==, f->t0 + 22 * 90);
    g_assert_cmpint (in->end_time, ==, f->t0 + 22 * 90 + 65);
    g_assert_cmpint (in->duration, ==, 65);
    g_assert_cmpint (in->answered, ==, 50);
    g_assert_cmpint (in->status, ==, KC_CALL_STATUS_ANSWERED);
    g_assert_true (in->from_cdr);
    g_assert_cmpint (out->status, ==, KC_CALL_STATUS_MISSED);
    g_assert_cmpint (out->answered, ==, 0);
  }

  /* Nothing new on the PBX: nothing new in the history */
  g_assert_cmpuint (sync_ok (f), ==, 0);
  g_assert_cmpint (kc_store_count (f->store), ==, n);
}

/* A CDR is written when its call ends, so a long call can show up after a
 * shorter, later call is already in the history. */
static void
test_sync_late_long_call (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr (KcRecord) late = NULL;

  kc_sim_server_add_cdr (f->sim, "short", f->t0 + 600, "+998901111111", "1001",
                         KC_SIM_CDR_ANSWERED, 60, 40);
  g_assert_cmpuint (sync_ok (f), ==, 1);

  kc_sim_server_add_cdr (f->sim, "long", f->t0, "+998902222222", "1002", KC_SIM_CDR_ANSWERED,
                         1800, 1790);
  g_assert_cmpuint (sync_ok (f), ==, 1);
  g_assert_cmpint (kc_store_count (f->store), ==, 2);
  late = lookup (f, "long");
  g_assert_cmpint (late->start_time, ==, f->t0);
  g_assert_cmpint (late->duration, ==, 1800);
}

static void
test_sync_recordings (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr (KcRecord) in = NULL;
  g_autoptr (KcRecord) other = NULL;
  g_autoptr (KcRecord) out = NULL;

  kc_sim_server_add_cdr (f->sim, "in", f->t0, "+998901111111", "1001", KC_SIM_CDR_ANSWERED,
                         60, 50);
  /* At the same time, between other numbers */
  kc_sim_server_add_cdr (f->sim, "other", f->t0 + 2, "+998902222222", "1002",
                         KC_SIM_CDR_ANSWERED, 60, 55);
  kc_sim_server_add_cdr (f->sim, "out", f->t0 + 300, "1001", "+998901111111",
                         KC_SIM_CDR_ANSWERED, 30, 25);
  kc_sim_server_add_recording (f->sim, "rec-other", "1002", "+998902222222", f->t0 + 7, 55);
  kc_sim_server_add_recording (f->sim, "rec-in", "1001", "+998901111111", f->t0 + 10, 50);

  g_assert_cmpuint (sync_ok (f), ==, 3);
  in = lookup (f, "in");
  other = lookup (f, "other");
  out = lookup (f, "out");
  g_assert_cmpstr (in->recording_id, ==, "rec-in");
  g_assert_cmpstr (other->recording_id, ==, "rec-other");
  g_assert_null (out->recording_id);

  /* The PBX lists a recording only once it is written; the next sync links it. */
  kc_sim_server_add_recording (f->sim, "rec-out", "1001", "+998901111111", f->t0 + 305, 25);
  g_assert_cmpuint (sync_ok (f), ==, 0);
  g_clear_pointer (&out, kc_record_free);
  out = lookup (f, "out");
  g_assert_cmpstr (out->recording_id, ==, "rec-out");
}

static void
fail_next_request (KcStore     *store,
                   KcSimServer *sim)
{
  kc_sim_server_inject_fault (sim, KC_SIM_FAULT_HTTP_500, KC_KERIO_PAGE_RETRIES + 1);
}

/* Recordings only decorate the history: when the PBX refuses the list, the
 * calls are still stored and the links come with a later sync. */
static void
test_sync_recordings_failure (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr (KcRecord) before = NULL;
  g_autoptr (KcRecord) after = NULL;
  gulong handler;

  kc_sim_server_add_cdr (f->sim, "in", f->t0, "+998901111111", "1001", KC_SIM_CDR_ANSWERED,
                         60, 50);
  kc_sim_server_add_recording (f->sim, "rec-in", "1001", "+998901111111", f->t0 + 10, 50);

  /* The history is written before the recordings are asked for. */
  handler = g_signal_connect (f->store, "changed", G_CALLBACK (fail_next_request), f->sim);
  g_test_expect_message ("kc-sync", G_LOG_LEVEL_MESSAGE,
                         "Fetched 1 call records from Kerio Operator");
  g_test_expect_message ("kc-sync", G_LOG_LEVEL_MESSAGE, "Synced 1 new call records");
  g_test_expect_message ("kc-sync", G_LOG_LEVEL_MESSAGE, "Could not link call recordings: *");
  g_assert_cmpuint (sync_ok (f), ==, 1);
  g_test_assert_expected_messages ();
  g_signal_handler_disconnect (f->store, handler);
  g_assert_cmpuint (f->n_failed, ==, 0);
  before = lookup (f, "in");
  g_assert_null (before->recording_id);

  g_assert_cmpuint (sync_ok (f), ==, 0);
  after = lookup (f, "in");
  g_assert_cmpstr (after->recording_id, ==, "rec-in");
}

/* With the operator's extension configured, the direction follows it; calls
 * it took no part in are still history, classified by the number rule. */
static void
test_sync_extension (Fixture       *f,
                     gconstpointer  data)
{
  make_sync (f, 60, "1001");
  kc_sim_server_add_cdr (f->sim, "colleague-in", f->t0, "1002", "1001", KC_SIM_CDR_ANSWERED,
                         30, 20);
  kc_sim_server_add_cdr (f->sim, "colleague-out", f->t0 + 60, "1001", "1002",
                         KC_SIM_CDR_ANSWERED, 30, 20);
  kc_sim_server_add_cdr (f->sim, "customer-in", f->t0 + 120, "+998901111111", "1001",
                         KC_SIM_CDR_ANSWERED, 30, 20);
  kc_sim_server_add_cdr (f->sim, "not-mine-out", f->t0 + 180, "1002", "+998903333333",
                         KC_SIM_CDR_ANSWERED, 30, 20);
  kc_sim_server_add_cdr (f->sim, "not-mine-in", f->t0 + 240, "+998904444444", "1003",
                         KC_SIM_CDR_NO_ANSWER, 15, 0);

  g_assert_cmpuint (sync_ok (f), ==, 5);
  assert_call (f, "colleague-in", KC_DIRECTION_INCOMING, "1001");
  assert_call (f, "colleague-out", KC_DIRECTION_OUTGOING, "1001");
  assert_call (f, "customer-in", KC_DIRECTION_INCOMING, "1001");
  assert_call (f, "not-mine-out", KC_DIRECTION_OUTGOING, "1002");
  assert_call (f, "not-mine-in", KC_DIRECTION_INCOMING, "1003");
}

/* What the history view shows for each Kerio outcome */
static void
test_sync_statuses (Fixture       *f,
                    gconstpointer  data)
{
  static const struct
  {
    KcSimCdrStatus  kerio;
    const char     *status;
    gboolean        voicemail;
  } cases[] = {
    { KC_SIM_CDR_FAILED, "xatolik", FALSE },
    { KC_SIM_CDR_BUSY, "band", FALSE },
    { KC_SIM_CDR_NO_ANSWER, "javobsiz", FALSE },
    { KC_SIM_CDR_ANSWERED, "javob berildi", FALSE },
    { KC_SIM_CDR_FORBIDDEN, "xatolik", FALSE },
    { KC_SIM_CDR_VOICEMAIL, "javobsiz", TRUE },
  };
  sqlite3 *db = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *id = g_strdup_printf ("status-%d", cases[i].kerio);

      kc_sim_server_add_cdr (f->sim, id, f->t0 + i * 60, "+998901234567", "1001",
                             cases[i].kerio, 40, cases[i].kerio == KC_SIM_CDR_ANSWERED ? 30 : 0);
    }
  g_assert_cmpuint (sync_ok (f), ==, G_N_ELEMENTS (cases));

  g_assert_cmpint (sqlite3_open_v2 (kc_store_get_path (f->store), &db, SQLITE_OPEN_READONLY, NULL),
                   ==, SQLITE_OK);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *id = g_strdup_printf ("status-%d", cases[i].kerio);
      g_autoptr (KcRecord) record = lookup (f, id);
      sqlite3_stmt *stmt = NULL;

      g_assert_cmpstr (kc_call_status_to_string (record->status), ==, cases[i].status);
      g_assert_cmpint (record->kerio_status, ==, cases[i].kerio);
      g_assert_cmpint (record->voicemail, ==, cases[i].voicemail);

      /* the words stored are the ones the design names */
      g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT status FROM calls WHERE call_id = ?", -1,
                                           &stmt, NULL),
                       ==, SQLITE_OK);
      sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
      g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, cases[i].status);
      sqlite3_finalize (stmt);
    }
  sqlite3_close (db);
}

static void
test_sync_failure (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  guint n_synced;

  kc_sim_server_add_cdr (f->sim, "a", f->t0, "+998901111111", "1001", KC_SIM_CDR_ANSWERED, 60,
                         50);
  g_assert_cmpuint (sync_ok (f), ==, 1);
  n_synced = f->n_synced;

  kc_sim_server_add_cdr (f->sim, "b", f->t0 + 60, "+998902222222", "1001", KC_SIM_CDR_BUSY, 5, 0);
  kc_sim_server_inject_fault (f->sim, KC_SIM_FAULT_HTTP_500, KC_KERIO_PAGE_RETRIES + 1);
  g_test_expect_message ("kc-sync", G_LOG_LEVEL_MESSAGE, "Call history sync failed: *");
  g_assert_false (sync_once (f, NULL, &error));
  g_test_assert_expected_messages ();
  g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_HTTP);
  g_assert_cmpuint (f->n_failed, ==, 1);
  g_assert_error (f->last_error, KC_KERIO_ERROR, KC_KERIO_ERROR_HTTP);
  g_assert_cmpuint (f->n_synced, ==, n_synced);
  g_assert_cmpint (kc_store_count (f->store), ==, 1);

  /* The same failure again is signalled but not logged again (a fatal
   * warning here would abort the test). */
  g_clear_error (&error);
  kc_sim_server_inject_fault (f->sim, KC_SIM_FAULT_HTTP_500, KC_KERIO_PAGE_RETRIES + 1);
  g_assert_false (sync_once (f, NULL, &error));
  g_assert_cmpuint (f->n_failed, ==, 2);

  g_assert_cmpuint (sync_ok (f), ==, 1);
  g_assert_cmpint (kc_store_count (f->store), ==, 2);

  /* After a recovery, the PBX failing again is news worth logging. */
  g_clear_error (&error);
  kc_sim_server_inject_fault (f->sim, KC_SIM_FAULT_HTTP_500, KC_KERIO_PAGE_RETRIES + 1);
  g_test_expect_message ("kc-sync", G_LOG_LEVEL_MESSAGE, "Call history sync failed: *");
  g_assert_false (sync_once (f, NULL, &error));
  g_test_assert_expected_messages ();
  g_assert_cmpuint (f->n_failed, ==, 3);
}

static void
fail_next_page (KcStore *store,
                Fixture *f)
{
  /* more than the client asks again */
  kc_sim_server_inject_fault (f->sim, KC_SIM_FAULT_HTTP_500, KC_KERIO_PAGE_RETRIES + 1);
  g_signal_handlers_disconnect_by_func (store, fail_next_page, f);
}

/* A sync stores its pages as they come; one cut short after its first page
 * (PBX error, lost network, the app killed) keeps what it stored, and the
 * next sync reads the history from where the last complete one ended, not
 * from the newest row stored, so the older calls the first one never
 * reached are not lost, and none is stored twice. */
static void
test_sync_interrupted (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  const guint n = 23;
  const gint64 newest = f->t0;
  gint64 stored;

  /* Five days of calls: more than the trailing window behind the newest */
  kc_sim_server_set_page_cap (f->sim, 5);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *id = g_strdup_printf ("cdr-%02u", i);
      g_autofree char *external = g_strdup_printf ("+9989%08u", 10000000 + i);

      kc_sim_server_add_cdr (f->sim, id, newest - (gint64) (n - 1 - i) * 6 * 3600, external,
                             "1001", KC_SIM_CDR_ANSWERED, 65, 50);
    }

  g_signal_connect (f->store, "changed", G_CALLBACK (fail_next_page), f);
  g_test_expect_message ("kc-sync", G_LOG_LEVEL_MESSAGE, "Call history sync failed: *");
  g_assert_false (sync_once (f, NULL, &error));
  g_test_assert_expected_messages ();
  g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_HTTP);
  /* the newest pages are in the history already, but it is not complete:
   * the page after the one being stored was already asked for, so the fault
   * cuts the sync after the first or the second page */
  stored = kc_store_count (f->store);
  g_assert_true (stored == 5 || stored == 10);
  g_assert_cmpint (kc_store_get_complete_until (f->store), ==, -1);

  kc_sim_server_add_cdr (f->sim, "later", newest + 60, "+998901111111", "1002",
                         KC_SIM_CDR_BUSY, 5, 0);
  g_assert_cmpuint (sync_ok (f), ==, n + 1 - stored);
  g_assert_cmpint (kc_store_count (f->store), ==, n + 1);
  g_assert_cmpint (kc_store_get_complete_until (f->store), ==, newest + 60);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *id = g_strdup_printf ("cdr-%02u", i);
      g_autoptr (KcRecord) record = lookup (f, id);

      g_assert_cmpint (record->start_time, ==, newest - (gint64) (n - 1 - i) * 6 * 3600);
    }

  /* Complete now: the next sync reads only the trailing window */
  g_assert_cmpuint (sync_ok (f), ==, 0);
  g_assert_cmpint (kc_store_count (f->store), ==, n + 1);
}

static void
test_sync_periodic (Fixture       *f,
                    gconstpointer  data)
{
  kc_sim_server_add_cdr (f->sim, "first", f->t0, "+998901111111", "1001", KC_SIM_CDR_ANSWERED,
                         60, 50);
  make_sync (f, 0.001, NULL);
  kc_sync_start (f->sync);
  KC_TEST_WAIT_UNTIL (kc_store_count (f->store) == 1, 10);

  /* Nobody asks: the schedule alone brings the new call in. */
  kc_sim_server_add_cdr (f->sim, "second", f->t0 + 60, "+998902222222", "1001",
                         KC_SIM_CDR_NO_ANSWER, 20, 0);
  KC_TEST_WAIT_UNTIL (kc_store_count (f->store) == 2, 10);
  g_assert_cmpuint (f->n_failed, ==, 0);

  kc_sync_stop (f->sync);
}

/* A PBX slower than the interval must not pile up overlapping syncs. */
static void
test_sync_periodic_no_overlap (Fixture       *f,
                               gconstpointer  data)
{
  guint n_done;

  kc_sim_server_add_cdr (f->sim, "first", f->t0, "+998901111111", "1001", KC_SIM_CDR_ANSWERED,
                         60, 50);
  kc_sim_server_set_slow_delay (f->sim, 0.3);
  kc_sim_server_inject_fault (f->sim, KC_SIM_FAULT_SLOW, 4);
  make_sync (f, 0.001, NULL);
  kc_sync_start (f->sync);
  KC_TEST_WAIT_UNTIL (f->n_synced >= 3, 20);
  kc_sync_stop (f->sync);

  n_done = f->n_synced + f->n_failed;
  g_assert_cmpuint (f->n_failed, ==, 0);
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "CallHistory.get"), <=, n_done + 1);
  g_assert_cmpint (kc_store_count (f->store), ==, 1);
}

static void
test_sync_record_from_cdr (void)
{
  KcCdr cdr = {
    .id = NULL,
    .timestamp = 1735732800,
    .from_number = (char *) "+998901234567",
    .to_number = (char *) "1001",
    .status = 0,
    .call_duration = -1,
    .answered_duration = -1,
  };
  g_autoptr (KcRecord) record = NULL;

  /* No ID from the PBX: the key the API notes name */
  record = kc_sync_record_from_cdr (&cdr, NULL, EXTENSION_DIGITS);
  g_assert_nonnull (record);
  g_assert_cmpstr (record->call_id, ==, "1735732800-+998901234567-1001");
  g_assert_cmpint (record->direction, ==, KC_DIRECTION_INCOMING);
  g_assert_cmpstr (record->extension, ==, "1001");
  g_assert_cmpint (record->duration, ==, 0);
  g_assert_cmpint (record->answered, ==, 0);
  g_assert_cmpint (record->end_time, ==, record->start_time);
  g_assert_cmpint (record->status, ==, KC_CALL_STATUS_FAILED);
  g_assert_false (record->voicemail);
  g_assert_true (record->from_cdr);

  /* Rows the history could not show are dropped, not guessed at */
  cdr.timestamp = -1;
  g_assert_null (kc_sync_record_from_cdr (&cdr, NULL, EXTENSION_DIGITS));
  /* the first second of year 10000: no date the history can show */
  cdr.timestamp = G_GINT64_CONSTANT (253402300800);
  g_assert_null (kc_sync_record_from_cdr (&cdr, NULL, EXTENSION_DIGITS));
  cdr.timestamp = G_GINT64_CONSTANT (253402300799);
  g_clear_pointer (&record, kc_record_free);
  record = kc_sync_record_from_cdr (&cdr, NULL, EXTENSION_DIGITS);
  g_assert_nonnull (record);
  g_assert_cmpint (record->start_time, ==, G_GINT64_CONSTANT (253402300799));
  g_clear_pointer (&record, kc_record_free);
  cdr.timestamp = 1735732800;
  cdr.from_number = NULL;
  g_assert_null (kc_sync_record_from_cdr (&cdr, NULL, EXTENSION_DIGITS));
  cdr.from_number = (char *) "+998901234567";
  cdr.to_number = (char *) "";
  g_assert_null (kc_sync_record_from_cdr (&cdr, "1001", EXTENSION_DIGITS));
}

static char *
directory_name (KcStore    *store,
                const char *number)
{
  g_autoptr (GError) error = NULL;
  KcCallerNames names;
  char *name;

  g_assert_true (kc_store_get_caller_names (store, number, &names, &error));
  g_assert_no_error (error);
  name = g_steal_pointer (&names.directory);
  kc_caller_names_clear (&names);
  return name;
}

static void
assert_directory_name (KcStore    *store,
                       const char *number,
                       const char *expected)
{
  g_autofree char *name = directory_name (store, number);

  g_assert_cmpstr (name, ==, expected);
}

/* The PBX's names of its own numbers come with the first sync, whichever
 * way the PBX spells its members; they survive a CDR taking a live row
 * over, and a restart; the directory is not read again with every sync. */
static void
test_sync_directory (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KcRecord) live = kc_record_new ();
  g_autoptr (KcRecord) replaced = NULL;
  g_autofree char *path = g_strdup (kc_store_get_path (f->store));

  kc_sim_server_set_dialect (f->sim, GPOINTER_TO_INT (data));
  kc_sim_server_set_numbers_as_strings (f->sim, GPOINTER_TO_INT (data) == KC_SIM_DIALECT_FIELD);
  kc_sim_server_set_directory_entry (f->sim, "1020", "  Qabulxona  ");
  kc_sim_server_set_directory_entry (f->sim, "1021", "");
  kc_sim_server_set_directory_entry (f->sim, "1022", "Oʻgʻiloy \"Xodim\" & Co");

  live->call_id = g_strdup ("live-1");
  live->direction = KC_DIRECTION_OUTGOING;
  live->from_number = g_strdup ("1020");
  live->to_number = g_strdup ("+998901112233");
  live->extension = g_strdup ("1020");
  live->start_time = f->t0;
  live->end_time = f->t0 + 30;
  live->duration = 30;
  live->status = KC_CALL_STATUS_ANSWERED;
  g_assert_true (kc_store_add_live_record (f->store, live, &error));
  g_assert_no_error (error);

  g_assert_cmpuint (sync_ok (f), ==, 0);
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "Server.getInternalDirectoryList"),
                    ==, 1);
  assert_directory_name (f->store, "1001", "Nodira Usmonova");
  assert_directory_name (f->store, "1020", "Qabulxona");
  assert_directory_name (f->store, "1021", NULL);
  assert_directory_name (f->store, "1022", "Oʻgʻiloy \"Xodim\" & Co");
  assert_directory_name (f->store, KC_SIM_TRAFFIC_GROUP, "Sotuv boʻlimi");
  assert_directory_name (f->store, "+998901112233", NULL);

  /* The PBX's record of the live call takes its row over */
  kc_sim_server_add_cdr (f->sim, "cdr-1", f->t0 + 1, "1020", "+998901112233",
                         KC_SIM_CDR_ANSWERED, 31, 25);
  kc_sim_server_set_directory_entry (f->sim, "1020", "Reception");
  g_assert_cmpuint (sync_ok (f), ==, 0);
  replaced = lookup (f, "cdr-1");
  g_assert_true (replaced->from_cdr);
  g_assert_cmpint (kc_store_count (f->store), ==, 1);
  /* Read once an hour, not with every sync */
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "Server.getInternalDirectoryList"),
                    ==, 1);
  assert_directory_name (f->store, "1020", "Qabulxona");

  /* After a restart, offline, the names are there */
  g_clear_object (&f->sync);
  g_clear_object (&f->store);
  g_clear_object (&f->sim);
  f->store = kc_store_open (path, &error);
  g_assert_no_error (error);
  assert_directory_name (f->store, "1001", "Nodira Usmonova");
  assert_directory_name (f->store, "1022", "Oʻgʻiloy \"Xodim\" & Co");
}

/* A PBX that has no directory (older firmware) costs the names, not the
 * history: said once, and the names read before stay. */
static void
test_sync_directory_missing (Fixture       *f,
                             gconstpointer  data)
{
  g_assert_cmpuint (sync_ok (f), ==, 0);
  assert_directory_name (f->store, "1002", "Timur Abdullayev");

  kc_sim_server_set_directory_enabled (f->sim, FALSE);
  make_sync (f, 60, NULL);
  g_test_expect_message ("kc-sync", G_LOG_LEVEL_MESSAGE,
                         "Fetched 0 call records from Kerio Operator");
  g_test_expect_message ("kc-sync", G_LOG_LEVEL_MESSAGE, "Synced 0 new call records");
  g_test_expect_message ("kc-sync", G_LOG_LEVEL_MESSAGE,
                         "Could not read the PBX's directory of numbers: *not found*");
  g_assert_cmpuint (sync_ok (f), ==, 0);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (f->n_failed, ==, 0);
  assert_directory_name (f->store, "1002", "Timur Abdullayev");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) \
  g_test_add ("/sync/" name, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("initial", test_sync_initial);
  ADD ("late-long-call", test_sync_late_long_call);
  ADD ("recordings", test_sync_recordings);
  ADD ("recordings-failure", test_sync_recordings_failure);
  ADD ("extension", test_sync_extension);
  ADD ("statuses", test_sync_statuses);
  ADD ("failure", test_sync_failure);
  ADD ("interrupted", test_sync_interrupted);
  ADD ("periodic", test_sync_periodic);
  ADD ("periodic-no-overlap", test_sync_periodic_no_overlap);
  g_test_add_func ("/sync/record-from-cdr", test_sync_record_from_cdr);
  g_test_add ("/sync/directory/sdk", Fixture, GINT_TO_POINTER (KC_SIM_DIALECT_SDK),
              fixture_set_up, test_sync_directory, fixture_tear_down);
  g_test_add ("/sync/directory/field", Fixture, GINT_TO_POINTER (KC_SIM_DIALECT_FIELD),
              fixture_set_up, test_sync_directory, fixture_tear_down);
  ADD ("directory-missing", test_sync_directory_missing);

#undef ADD

  return g_test_run ();
}
