/* test-kerio-client.c: the Kerio client against the simulator over loopback
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <libsoup/soup.h>
#include <string.h>
#include <sys/stat.h>

#include "kc-test-util.h"
#include "kerio/kc-kerio-client.h"
#include "kerio/kc-kerio-parse.h"
#include "sim/kc-sim-server.h"

#define WRONG_PASSWORD "s3cret-Wrong-pw"

typedef struct
{
  KcSimServer   *sim;
  KcKerioClient *client;
  char          *endpoint;
  char          *tmpdir;
} Fixture;

static KcKerioClient *
new_client (const char *endpoint,
            const char *password)
{
  g_autoptr (GUri) uri = g_uri_parse (endpoint, G_URI_FLAGS_NONE, NULL);

  g_assert_nonnull (uri);
  return kc_kerio_client_new (uri, KC_SIM_DEFAULT_USERNAME, password);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;

  f->sim = kc_sim_server_new ();
  kc_sim_server_listen (f->sim, 0, NULL, &error);
  g_assert_no_error (error);
  f->endpoint = kc_sim_server_get_endpoint_url (f->sim);
  f->client = new_client (f->endpoint, KC_SIM_DEFAULT_PASSWORD);
  f->tmpdir = kc_test_make_tmpdir ();
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->client);
  g_clear_object (&f->sim);
  g_free (f->endpoint);
  kc_test_rm_rf (f->tmpdir);
  g_free (f->tmpdir);
}

/* --- Waiting for the client --- */

static GPtrArray *
get_calls (KcKerioClient  *client,
           GError        **error)
{
  g_autoptr (GAsyncResult) res = NULL;

  kc_kerio_client_get_calls_async (client, NULL, kc_test_store_result, &res);
  KC_TEST_AWAIT (res);
  return kc_kerio_client_get_calls_finish (client, res, error);
}

static void
assert_get_calls_ok (KcKerioClient *client)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) calls = get_calls (client, &error);

  g_assert_no_error (error);
  g_assert_nonnull (calls);
}

static GPtrArray *
get_history (KcKerioClient  *client,
             gint64          since,
             GError        **error)
{
  g_autoptr (GAsyncResult) res = NULL;

  kc_kerio_client_get_call_history_async (client, since, NULL, kc_test_store_result, &res);
  KC_TEST_AWAIT (res);
  return kc_kerio_client_get_call_history_finish (client, res, error);
}

static GPtrArray *
find_history (KcKerioClient  *client,
              gint64          since,
              gint64          until,
              GError        **error)
{
  g_autoptr (GAsyncResult) res = NULL;

  kc_kerio_client_find_call_history_async (client, since, until, NULL, kc_test_store_result,
                                           &res);
  KC_TEST_AWAIT (res);
  return kc_kerio_client_find_call_history_finish (client, res, error);
}

static GPtrArray *
get_recordings (KcKerioClient  *client,
                gint64          since,
                GError        **error)
{
  g_autoptr (GAsyncResult) res = NULL;

  kc_kerio_client_get_recordings_async (client, since, NULL, kc_test_store_result, &res);
  KC_TEST_AWAIT (res);
  return kc_kerio_client_get_recordings_finish (client, res, error);
}

static char *
download (KcKerioClient          *client,
          const char             *recording_id,
          const char             *dest_dir,
          GFileProgressCallback   progress,
          gpointer                progress_data,
          GError                **error)
{
  g_autoptr (GAsyncResult) res = NULL;

  kc_kerio_client_download_recording_async (client, recording_id, dest_dir, progress,
                                            progress_data, NULL, kc_test_store_result, &res);
  KC_TEST_AWAIT (res);
  return kc_kerio_client_download_recording_finish (client, res, error);
}

static JsonNode *
call (KcKerioClient  *client,
      const char     *method,
      JsonNode       *params,
      GError        **error)
{
  g_autoptr (GAsyncResult) res = NULL;

  kc_kerio_client_call_async (client, method, params, NULL, kc_test_store_result, &res);
  KC_TEST_AWAIT (res);
  return kc_kerio_client_call_finish (client, res, error);
}

static guint
count_files (const char *dir)
{
  g_autoptr (GDir) handle = g_dir_open (dir, 0, NULL);
  guint n = 0;

  if (handle == NULL)
    return 0;
  while (g_dir_read_name (handle) != NULL)
    n++;
  return n;
}

/* --- Session --- */

static void
test_one_login_for_many_calls (Fixture       *f,
                               gconstpointer  data)
{
  GAsyncResult *results[5] = { NULL };

  g_assert_false (kc_kerio_client_is_logged_in (f->client));

  /* Callers that all find no session at once share one Session.login */
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    kc_kerio_client_get_calls_async (f->client, NULL, kc_test_store_result, &results[i]);
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) calls = NULL;

      KC_TEST_AWAIT (results[i]);
      calls = kc_kerio_client_get_calls_finish (f->client, results[i], &error);
      g_assert_no_error (error);
      g_clear_object (&results[i]);
    }

  for (guint i = 0; i < 5; i++)
    assert_get_calls_ok (f->client);

  g_assert_true (kc_kerio_client_is_logged_in (f->client));
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "Session.login"), ==, 1);
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "Status.getCalls"), ==, 10);
}

static void
test_cookie_and_token_on_every_request (Fixture       *f,
                                        gconstpointer  data)
{
  g_autoptr (GPtrArray) history = NULL;
  g_autoptr (GPtrArray) recordings = NULL;
  g_autoptr (GError) error = NULL;

  kc_sim_server_add_cdr (f->sim, "c1", 1735732800, "+998901234567", "1001", KC_SIM_CDR_ANSWERED,
                         65, 50);
  for (guint i = 0; i < 20; i++)
    assert_get_calls_ok (f->client);
  history = get_history (f->client, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (history->len, ==, 1);
  recordings = get_recordings (f->client, -1, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (kc_sim_server_get_unauthenticated_count (f->sim), ==, 0);
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "Session.login"), ==, 1);
}

static void
test_keep_alive (Fixture       *f,
                 gconstpointer  data)
{
  for (guint i = 0; i < 30; i++)
    assert_get_calls_ok (f->client);

  g_assert_cmpuint (kc_sim_server_get_connection_count (f->sim), ==, 1);
}

static void
test_relogin_after_expiry (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr (GPtrArray) calls = NULL;
  g_autoptr (GError) error = NULL;

  kc_sim_server_add_call (f->sim, "+998901234567", "Aziz", "1001", NULL);
  assert_get_calls_ok (f->client);
  kc_sim_server_expire_sessions (f->sim);

  calls = get_calls (f->client, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (calls->len, ==, 1);
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "Session.login"), ==, 2);
  g_assert_true (kc_kerio_client_is_logged_in (f->client));
}

static void
test_wrong_password (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr (KcKerioClient) client = new_client (f->endpoint, WRONG_PASSWORD);
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) second_error = NULL;
  g_autoptr (GPtrArray) calls = NULL;
  g_autoptr (GPtrArray) again = NULL;

  calls = get_calls (client, &error);
  g_assert_null (calls);
  g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "user name or password is incorrect"));
  g_assert_null (strstr (error->message, WRONG_PASSWORD));
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "Session.login"), ==, 1);

  /* No retry storm: the PBX is not asked again within the delay */
  again = get_calls (client, &second_error);
  g_assert_null (again);
  g_assert_error (second_error, KC_KERIO_ERROR, KC_KERIO_ERROR_AUTH);
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "Session.login"), ==, 1);
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "Status.getCalls"), ==, 0);

  kc_kerio_client_set_credentials (client, KC_SIM_DEFAULT_USERNAME, KC_SIM_DEFAULT_PASSWORD);
  assert_get_calls_ok (client);
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "Session.login"), ==, 2);
}

static void
test_logout (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr (GAsyncResult) res = NULL;
  g_autoptr (GAsyncResult) res2 = NULL;
  g_autoptr (GError) error = NULL;

  /* Not logged in: nothing to do, and the PBX is not bothered */
  kc_kerio_client_logout_async (f->client, NULL, kc_test_store_result, &res);
  KC_TEST_AWAIT (res);
  g_assert_true (kc_kerio_client_logout_finish (f->client, res, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "Session.logout"), ==, 0);

  assert_get_calls_ok (f->client);
  kc_kerio_client_logout_async (f->client, NULL, kc_test_store_result, &res2);
  KC_TEST_AWAIT (res2);
  g_assert_true (kc_kerio_client_logout_finish (f->client, res2, &error));
  g_assert_no_error (error);
  g_assert_false (kc_kerio_client_is_logged_in (f->client));
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "Session.logout"), ==, 1);

  assert_get_calls_ok (f->client);
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "Session.login"), ==, 2);
  g_assert_cmpuint (kc_sim_server_get_unauthenticated_count (f->sim), ==, 0);
}

static void
test_cancel_one_of_two_waiting_for_login (Fixture       *f,
                                          gconstpointer  data)
{
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GAsyncResult) res_a = NULL;
  g_autoptr (GAsyncResult) res_b = NULL;
  g_autoptr (GError) error_a = NULL;
  g_autoptr (GError) error_b = NULL;
  g_autoptr (GPtrArray) calls_a = NULL;
  g_autoptr (GPtrArray) calls_b = NULL;

  kc_kerio_client_get_calls_async (f->client, cancellable, kc_test_store_result, &res_a);
  kc_kerio_client_get_calls_async (f->client, NULL, kc_test_store_result, &res_b);
  g_cancellable_cancel (cancellable);

  KC_TEST_AWAIT (res_a);
  calls_a = kc_kerio_client_get_calls_finish (f->client, res_a, &error_a);
  g_assert_error (error_a, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  KC_TEST_AWAIT (res_b);
  calls_b = kc_kerio_client_get_calls_finish (f->client, res_b, &error_b);
  g_assert_no_error (error_b);
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "Session.login"), ==, 1);
}

static void
test_cancel_request_in_flight (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GAsyncResult) res = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) calls = NULL;

  assert_get_calls_ok (f->client);
  kc_sim_server_set_slow_delay (f->sim, 20);
  kc_sim_server_inject_fault (f->sim, KC_SIM_FAULT_SLOW, 1);

  kc_kerio_client_get_calls_async (f->client, cancellable, kc_test_store_result, &res);
  KC_TEST_WAIT_UNTIL (kc_sim_server_get_request_count (f->sim, "Status.getCalls") == 2, 10);
  g_cancellable_cancel (cancellable);
  KC_TEST_AWAIT (res);
  calls = kc_kerio_client_get_calls_finish (f->client, res, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  assert_get_calls_ok (f->client);
}

/* --- Paging --- */

#define FIRST_TS 1735732800

static void
test_history_paging_with_since (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (GPtrArray) recent = NULL;
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GError) error = NULL;
  gint64 since = FIRST_TS + 30 * 60;

  kc_sim_server_set_page_cap (f->sim, 7);
  kc_sim_server_add_generated_cdrs (f->sim, "cdr", 100, FIRST_TS, 60);

  recent = get_history (f->client, since, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (recent->len, ==, 70);
  for (guint i = 0; i < recent->len; i++)
    {
      KcCdr *cdr = g_ptr_array_index (recent, i);
      g_autofree char *expected_id = g_strdup_printf ("cdr-%u", 99 - i);

      /* newest first, nothing older than since, nothing twice */
      g_assert_cmpstr (cdr->id, ==, expected_id);
      g_assert_cmpint (cdr->timestamp, ==, FIRST_TS + (gint64) (99 - i) * 60);
      g_assert_cmpint (cdr->timestamp, >=, since);
      g_assert_true (g_hash_table_add (seen, cdr->id));
    }

  all = get_history (f->client, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 100);
}

typedef struct
{
  KcSimServer *sim;
  guint        n_pages;
  guint        fail_at;  /* page number whose storing fails, 0: none */
  GArray      *requests; /* CallHistory.get requests seen as each page is handed over */
  GArray      *rows;     /* rows of each page */
} PageLog;

static gboolean
log_page (GPtrArray  *page,
          gpointer    user_data,
          GError    **error)
{
  PageLog *log = user_data;
  guint requests = kc_sim_server_get_request_count (log->sim, "CallHistory.get");

  g_array_append_val (log->requests, requests);
  g_array_append_val (log->rows, page->len);
  if (++log->n_pages == log->fail_at)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "disk full");
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_history (Fixture  *f,
              PageLog  *log,
              guint64  *n_rows,
              GError  **error)
{
  g_autoptr (GAsyncResult) res = NULL;

  log->sim = f->sim;
  log->requests = g_array_new (FALSE, FALSE, sizeof (guint));
  log->rows = g_array_new (FALSE, FALSE, sizeof (guint));
  kc_kerio_client_read_call_history_async (f->client, -1, log_page, log, NULL,
                                           kc_test_store_result, &res);
  KC_TEST_AWAIT (res);
  return kc_kerio_client_read_call_history_finish (f->client, res, n_rows, error);
}

/* Each page is handed over once the next one is asked for, so that the PBX
 * builds it while this one is stored; never more than one page ahead, and
 * nothing past the last. */
static void
test_history_one_page_ahead (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  PageLog log = { 0 };
  guint64 n_rows = 0;

  kc_sim_server_set_page_cap (f->sim, 10);
  kc_sim_server_add_generated_cdrs (f->sim, "cdr", 45, FIRST_TS, 60);

  g_assert_true (read_history (f, &log, &n_rows, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_rows, ==, 45);
  g_assert_cmpuint (log.n_pages, ==, 5);
  for (guint i = 0; i < 4; i++)
    {
      g_assert_cmpuint (g_array_index (log.rows, guint, i), ==, 10);
      g_assert_cmpuint (g_array_index (log.requests, guint, i), ==, i + 2);
    }
  g_assert_cmpuint (g_array_index (log.rows, guint, 4), ==, 5);
  g_assert_cmpuint (g_array_index (log.requests, guint, 4), ==, 5);
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "CallHistory.get"), ==, 5);
  g_array_unref (log.requests);
  g_array_unref (log.rows);
}

/* A page the caller cannot store ends the read with the caller's error; the
 * page already asked for is dropped, and nothing more is asked for. */
static void
test_history_page_not_stored (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  PageLog log = { .fail_at = 2 };
  guint64 n_rows = 0;

  kc_sim_server_set_page_cap (f->sim, 10);
  kc_sim_server_add_generated_cdrs (f->sim, "cdr", 45, FIRST_TS, 60);

  g_assert_false (read_history (f, &log, &n_rows, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_assert_cmpuint (log.n_pages, ==, 2);
  /* the third page's answer, still on its way, must not be handed over */
  kc_test_run_for (0.3);
  g_assert_cmpuint (log.n_pages, ==, 2);
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "CallHistory.get"), ==, 3);
  g_array_unref (log.requests);
  g_array_unref (log.rows);
}

/* The missed-call check's query: the records of a few seconds, oldest
 * first, both ends included, in one request */
static void
test_find_history_span (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr (GPtrArray) found = NULL;
  g_autoptr (GPtrArray) none = NULL;
  g_autoptr (GError) error = NULL;
  KcCdr *cdr;

  kc_sim_server_add_generated_cdrs (f->sim, "cdr", 100, FIRST_TS, 60);
  kc_sim_server_add_cdr (f->sim, "late", FIRST_TS + 125, "+998901234567", "1001",
                         KC_SIM_CDR_ANSWERED, 65, 50);
  assert_get_calls_ok (f->client);

  found = find_history (f->client, FIRST_TS + 120, FIRST_TS + 240, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 4);
  g_assert_cmpstr (((KcCdr *) g_ptr_array_index (found, 0))->id, ==, "cdr-2");
  cdr = g_ptr_array_index (found, 1);
  g_assert_cmpstr (cdr->id, ==, "late");
  g_assert_cmpint (cdr->timestamp, ==, FIRST_TS + 125);
  g_assert_cmpint (cdr->status, ==, KC_SIM_CDR_ANSWERED);
  g_assert_cmpstr (cdr->from_number, ==, "+998901234567");
  g_assert_cmpstr (cdr->to_number, ==, "1001");
  g_assert_cmpstr (((KcCdr *) g_ptr_array_index (found, 2))->id, ==, "cdr-3");
  g_assert_cmpstr (((KcCdr *) g_ptr_array_index (found, 3))->id, ==, "cdr-4");
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "CallHistory.get"), ==, 1);

  /* Not written yet: an empty list, not an error */
  none = find_history (f->client, FIRST_TS + 10, FIRST_TS + 20, &error);
  g_assert_no_error (error);
  g_assert_nonnull (none);
  g_assert_cmpuint (none->len, ==, 0);
}

/* The caller retries: a failed answer is an error at once, after one request */
static void
test_find_history_no_retry (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr (GPtrArray) found = NULL;
  g_autoptr (GError) error = NULL;

  kc_sim_server_add_cdr (f->sim, "c1", FIRST_TS, "+998901234567", "1001", KC_SIM_CDR_ANSWERED,
                         65, 50);
  assert_get_calls_ok (f->client);
  kc_sim_server_inject_fault (f->sim, KC_SIM_FAULT_DROP, 1);

  found = find_history (f->client, FIRST_TS - 3, FIRST_TS + 3, &error);
  g_assert_null (found);
  g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_TRANSPORT);
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "CallHistory.get"), ==, 1);
  g_clear_error (&error);

  found = find_history (f->client, FIRST_TS - 3, FIRST_TS + 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 1);
}

static void
test_recordings_paging_with_since (Fixture       *f,
                                   gconstpointer  data)
{
  g_autoptr (GPtrArray) recordings = NULL;
  g_autoptr (GError) error = NULL;

  kc_sim_server_set_page_cap (f->sim, 3);
  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *id = g_strdup_printf ("rec-%u", i);

      kc_sim_server_add_recording (f->sim, id, "1001", "+998901234567", FIRST_TS + i * 100, 1);
    }

  recordings = get_recordings (f->client, FIRST_TS + 250, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (recordings->len, ==, 7);
  for (guint i = 0; i < recordings->len; i++)
    {
      KcRecording *recording = g_ptr_array_index (recordings, i);
      g_autofree char *expected_id = g_strdup_printf ("rec-%u", 9 - i);

      g_assert_cmpstr (recording->id, ==, expected_id);
      g_assert_cmpstr (recording->extension, ==, "1001");
      g_assert_cmpint (recording->duration, ==, 1);
    }
}

static void
test_numbers_as_strings (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr (GPtrArray) calls = NULL;
  g_autoptr (GPtrArray) history = NULL;
  g_autoptr (GError) error = NULL;
  const char *id;
  KcCdr *cdr;

  kc_sim_server_set_numbers_as_strings (f->sim, TRUE);
  kc_sim_server_set_numeric_status (f->sim, TRUE);
  kc_sim_server_set_page_cap (f->sim, 2);
  kc_sim_server_add_generated_cdrs (f->sim, "g", 5, FIRST_TS, 10);
  kc_sim_server_add_cdr (f->sim, "mine", FIRST_TS + 1000, "+998901234567", "1001",
                         KC_SIM_CDR_BUSY, 12, 0);
  id = kc_sim_server_add_call (f->sim, "+998901234567", NULL, "1001", NULL);
  kc_sim_server_answer_call (f->sim, id);

  calls = get_calls (f->client, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (calls->len, ==, 1);
  g_assert_true (kc_active_call_is_connected (g_ptr_array_index (calls, 0)));

  history = get_history (f->client, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (history->len, ==, 6);
  cdr = g_ptr_array_index (history, 0);
  g_assert_cmpstr (cdr->id, ==, "mine");
  g_assert_cmpint (cdr->timestamp, ==, FIRST_TS + 1000);
  g_assert_cmpint (cdr->status, ==, KC_SIM_CDR_BUSY);
  g_assert_cmpint (cdr->call_duration, ==, 12);
}

/* A method the PBX does not have is told from a refusal; the PBX's clock
 * comes with its answers */
static void
test_unknown_method_and_clock (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr (JsonNode) answer = NULL;
  g_autoptr (GError) error = NULL;
  gint64 offset = G_MAXINT64;

  g_assert_false (kc_kerio_client_get_server_clock_offset (f->client, &offset));
  answer = call (f->client, "Status.noSuchMethod", NULL, &error);
  g_assert_null (answer);
  g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_UNKNOWN_METHOD);
  g_assert_nonnull (strstr (error->message, "Status.noSuchMethod"));
  g_assert_true (kc_kerio_client_get_server_clock_offset (f->client, &offset));
  g_assert_cmpint (ABS (offset), <=, 1);
}

/* --- Faults --- */

typedef struct
{
  const char   *name;
  KcSimFault    fault;
  KcKerioError  code;
} FaultCase;

static const FaultCase fault_cases[] = {
  { "html", KC_SIM_FAULT_HTML, KC_KERIO_ERROR_NOT_KERIO },
  { "not-found", KC_SIM_FAULT_NOT_FOUND, KC_KERIO_ERROR_NOT_KERIO },
  { "http-500", KC_SIM_FAULT_HTTP_500, KC_KERIO_ERROR_HTTP },
  { "truncated", KC_SIM_FAULT_TRUNCATED, KC_KERIO_ERROR_MALFORMED },
  { "malformed", KC_SIM_FAULT_MALFORMED, KC_KERIO_ERROR_MALFORMED },
  { "wrong-shape", KC_SIM_FAULT_WRONG_SHAPE, KC_KERIO_ERROR_MALFORMED },
  { "huge", KC_SIM_FAULT_HUGE, KC_KERIO_ERROR_TOO_LARGE },
  { "drop", KC_SIM_FAULT_DROP, KC_KERIO_ERROR_TRANSPORT },
};

static void
test_fault (Fixture       *f,
            gconstpointer  data)
{
  const FaultCase *fault_case = data;
  g_autoptr (GPtrArray) calls = NULL;
  g_autoptr (GPtrArray) history = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) history_error = NULL;
  gboolean transient;

  kc_sim_server_add_cdr (f->sim, "c1", FIRST_TS, "+998901234567", "1001", KC_SIM_CDR_ANSWERED,
                         65, 50);
  assert_get_calls_ok (f->client);

  kc_sim_server_inject_fault (f->sim, fault_case->fault, 1);
  calls = get_calls (f->client, &error);
  g_assert_null (calls);
  g_assert_error (error, KC_KERIO_ERROR, (int) fault_case->code);
  if (fault_case->code == KC_KERIO_ERROR_NOT_KERIO)
    g_assert_nonnull (strstr (error->message, f->endpoint));
  if (fault_case->fault == KC_SIM_FAULT_HTTP_500)
    g_assert_nonnull (strstr (error->message, "500"));

  /* The paged readers ask again for a page lost in transit; one that stays
   * lost, or an answer no retry can cure, fails the read the same way, not
   * with a partial list */
  transient = fault_case->code != KC_KERIO_ERROR_NOT_KERIO
              && fault_case->code != KC_KERIO_ERROR_TOO_LARGE;
  if (transient)
    {
      kc_sim_server_inject_fault (f->sim, fault_case->fault, KC_KERIO_PAGE_RETRIES);
      history = get_history (f->client, -1, &history_error);
      g_assert_no_error (history_error);
      g_assert_cmpuint (history->len, ==, 1);
      g_clear_pointer (&history, g_ptr_array_unref);
    }
  kc_sim_server_inject_fault (f->sim, fault_case->fault, transient ? KC_KERIO_PAGE_RETRIES + 1 : 1);
  history = get_history (f->client, -1, &history_error);
  g_assert_null (history);
  g_assert_error (history_error, KC_KERIO_ERROR, (int) fault_case->code);

  assert_get_calls_ok (f->client);
}

static void
test_slow_answer_times_out (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr (GPtrArray) calls = NULL;
  g_autoptr (GError) error = NULL;

  kc_kerio_client_set_timeout (f->client, 1);
  assert_get_calls_ok (f->client);
  kc_sim_server_set_slow_delay (f->sim, 5);
  kc_sim_server_inject_fault (f->sim, KC_SIM_FAULT_SLOW, 1);

  calls = get_calls (f->client, &error);
  g_assert_null (calls);
  g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_TRANSPORT);
  g_assert_nonnull (strstr (error->message, "Timed out"));

  assert_get_calls_ok (f->client);
}

static void
test_connection_refused (void)
{
  g_autoptr (KcSimServer) sim = kc_sim_server_new ();
  g_autoptr (KcKerioClient) client = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) calls = NULL;
  g_autofree char *endpoint = NULL;
  g_autofree char *host_port = NULL;

  /* A port that was just free and is closed again */
  kc_sim_server_listen (sim, 0, NULL, &error);
  g_assert_no_error (error);
  endpoint = kc_sim_server_get_endpoint_url (sim);
  host_port = g_strdup_printf ("127.0.0.1:%u", kc_sim_server_get_port (sim));
  g_clear_object (&sim);

  client = new_client (endpoint, KC_SIM_DEFAULT_PASSWORD);
  calls = get_calls (client, &error);
  g_assert_null (calls);
  g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_TRANSPORT);
  g_assert_nonnull (strstr (error->message, host_port));
  g_assert_false (kc_kerio_client_is_logged_in (client));
}

/* --- TLS --- */

static char *
openssl_fingerprint (void)
{
  const char *argv[] = { "openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in",
                         g_getenv ("KC_TEST_CERT"), NULL };
  g_autofree char *out = NULL;
  g_autoptr (GError) error = NULL;
  int status = 0;
  const char *equals;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                NULL, NULL, &out, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  /* "sha256 Fingerprint=AB:CD:..." */
  equals = strchr (out, '=');
  g_assert_nonnull (equals);
  return g_strstrip (g_strdup (equals + 1));
}

typedef struct
{
  KcSimServer     *sim;
  GTlsCertificate *certificate;
  char            *endpoint;
  char            *hex;
} TlsFixture;

static void
tls_set_up (TlsFixture    *f,
            gconstpointer  data)
{
  g_autoptr (GError) error = NULL;

  f->certificate = kc_test_load_certificate ();
  f->hex = kc_tls_certificate_fingerprint (f->certificate);
  f->sim = kc_sim_server_new ();
  kc_sim_server_listen (f->sim, 0, f->certificate, &error);
  g_assert_no_error (error);
  f->endpoint = kc_sim_server_get_endpoint_url (f->sim);
  g_assert_true (g_str_has_prefix (f->endpoint, "https://"));
}

static void
tls_tear_down (TlsFixture    *f,
               gconstpointer  data)
{
  g_clear_object (&f->sim);
  g_clear_object (&f->certificate);
  g_free (f->endpoint);
  g_free (f->hex);
}

static void
test_tls_unpinned_is_refused (TlsFixture    *f,
                              gconstpointer  data)
{
  g_autoptr (KcKerioClient) client = new_client (f->endpoint, KC_SIM_DEFAULT_PASSWORD);
  g_autofree char *expected = kc_tls_fingerprint_format (f->hex);
  g_autofree char *from_openssl = openssl_fingerprint ();
  g_autofree char *advice = g_strdup_printf ("KERIO_TLS_PIN=sha256:%s", expected);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) calls = NULL;

  /* Our fingerprint is the one an administrator reads from openssl */
  g_assert_cmpstr (expected, ==, from_openssl);

  calls = get_calls (client, &error);
  g_assert_null (calls);
  g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_TLS);
  g_assert_nonnull (strstr (error->message, expected));
  g_assert_nonnull (strstr (error->message, advice));
  g_assert_cmpstr (kc_kerio_client_get_peer_fingerprint (client), ==, f->hex);
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "Session.login"), ==, 0);
}

static void
test_tls_pinned_is_accepted (TlsFixture    *f,
                             gconstpointer  data)
{
  g_autoptr (KcKerioClient) client = new_client (f->endpoint, KC_SIM_DEFAULT_PASSWORD);
  g_autofree char *from_openssl = openssl_fingerprint ();
  g_autofree char *typed = g_strconcat ("sha256:", from_openssl, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *pin = kc_tls_pin_normalize (typed, &error);

  /* The pin as an administrator would paste it from openssl */
  g_assert_no_error (error);
  kc_kerio_client_set_tls_pin (client, pin);

  for (guint i = 0; i < 5; i++)
    assert_get_calls_ok (client);
  g_assert_cmpstr (kc_kerio_client_get_peer_fingerprint (client), ==, f->hex);
  /* The session cookie is "secure": it must travel over the TLS connection */
  g_assert_cmpuint (kc_sim_server_get_unauthenticated_count (f->sim), ==, 0);
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "Session.login"), ==, 1);
}

static void
test_tls_wrong_pin_is_refused (TlsFixture    *f,
                               gconstpointer  data)
{
  g_autoptr (KcKerioClient) client = new_client (f->endpoint, KC_SIM_DEFAULT_PASSWORD);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) calls = NULL;
  g_autofree char *wrong = g_strdup (f->hex);

  wrong[0] = wrong[0] == '0' ? '1' : '0';
  kc_kerio_client_set_tls_pin (client, wrong);
  calls = get_calls (client, &error);
  g_assert_null (calls);
  g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_TLS);
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "Session.login"), ==, 0);
}

/* Trusted on first use, then the PBX shows another certificate: refused
 * before any password is sent, and the operator is told both fingerprints
 * so the new one can be checked against the PBX. */
static void
test_tls_changed_certificate_is_refused (TlsFixture    *f,
                                         gconstpointer  data)
{
  g_autoptr (GTlsCertificate) other = kc_test_load_other_certificate ();
  g_autofree char *other_hex = kc_tls_certificate_fingerprint (other);
  g_autofree char *pinned = kc_tls_fingerprint_format (other_hex);
  g_autofree char *presented = kc_tls_fingerprint_format (f->hex);
  g_autoptr (KcKerioClient) client = new_client (f->endpoint, KC_SIM_DEFAULT_PASSWORD);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) calls = NULL;
  const char *at_pinned;
  const char *at_presented;

  g_assert_cmpstr (other_hex, !=, f->hex);
  kc_kerio_client_set_tls_pin (client, other_hex);
  calls = get_calls (client, &error);
  g_assert_null (calls);
  g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_TLS);
  g_assert_nonnull (strstr (error->message, "has changed"));
  /* Both named, the pinned one first, and the server by its address */
  at_pinned = strstr (error->message, pinned);
  at_presented = strstr (error->message, presented);
  g_assert_nonnull (at_pinned);
  g_assert_nonnull (at_presented);
  g_assert_true (at_pinned < at_presented);
  g_assert_nonnull (strstr (error->message, "127.0.0.1:"));
  g_assert_cmpstr (kc_kerio_client_get_peer_fingerprint (client), ==, f->hex);
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "Session.login"), ==, 0);

  /* Once the new certificate is checked and pinned, it gets through. */
  kc_kerio_client_set_tls_pin (client, f->hex);
  assert_get_calls_ok (client);
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "Session.login"), ==, 1);
}

/* --- Recordings --- */

typedef struct
{
  GArray *current;
  gint64  total;
} Progress;

static void
on_progress (goffset  current,
             goffset  total,
             gpointer user_data)
{
  Progress *progress = user_data;
  gint64 value = current;

  g_array_append_val (progress->current, value);
  progress->total = total;
}

static gint64
announced_length (KcKerioClient *client,
                  const char    *recording_id)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) params = NULL;
  g_autoptr (JsonNode) result = NULL;
  g_autoptr (KcFileDownload) file_download = NULL;
  g_autoptr (GError) error = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, recording_id);
  json_builder_set_member_name (builder, "transcode");
  json_builder_add_boolean_value (builder, FALSE);
  json_builder_end_object (builder);
  params = json_builder_get_root (builder);

  result = call (client, "Recordings.downloadAudioContent", params, &error);
  g_assert_no_error (error);
  file_download = kc_kerio_parse_file_download (result, &error);
  g_assert_no_error (error);
  return file_download->length;
}

static void
test_download_recording (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *dest = g_build_filename (f->tmpdir, "cache", "recordings", NULL);
  g_autofree char *path = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *contents = NULL;
  g_autoptr (GError) error = NULL;
  Progress progress = { g_array_new (FALSE, FALSE, sizeof (gint64)), -1 };
  GStatBuf st;
  gsize size = 0;
  gint64 length;

  kc_sim_server_add_recording (f->sim, "rec-1", "1001", "+998901234567", FIRST_TS, 30);
  length = announced_length (f->client, "rec-1");
  g_assert_cmpint (length, >, 0);

  path = download (f->client, "rec-1", dest, on_progress, &progress, &error);
  g_assert_no_error (error);
  g_assert_nonnull (path);

  dir = g_path_get_dirname (path);
  g_assert_cmpstr (dir, ==, dest);
  g_assert_true (g_file_get_contents (path, &contents, &size, NULL));
  g_assert_cmpuint (size, ==, (gsize) length);
  g_assert_true (size >= 4 && memcmp (contents, "RIFF", 4) == 0);

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (dest, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  /* no temporary file left behind */
  g_assert_cmpuint (count_files (dest), ==, 1);

  g_assert_cmpuint (progress.current->len, >=, 2);
  for (guint i = 1; i < progress.current->len; i++)
    g_assert_cmpint (g_array_index (progress.current, gint64, i), >,
                     g_array_index (progress.current, gint64, i - 1));
  g_assert_cmpint (g_array_index (progress.current, gint64, progress.current->len - 1), ==, length);
  g_assert_cmpint (progress.total, ==, length);
  g_assert_cmpuint (kc_sim_server_get_download_count (f->sim), ==, 1);

  g_array_unref (progress.current);
}

static void
test_download_foreign_origin_forbidden (Fixture       *f,
                                        gconstpointer  data)
{
  g_autofree char *dest = g_build_filename (f->tmpdir, "recordings", NULL);
  g_autofree char *foreign = g_strdup_printf ("http://127.0.0.2:%u/admin/api/download/k/rec.wav",
                                              kc_sim_server_get_port (f->sim));
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;

  kc_sim_server_add_recording (f->sim, "rec-1", "1001", "+998901234567", FIRST_TS, 2);
  kc_sim_server_set_download_url_override (f->sim, foreign);

  path = download (f->client, "rec-1", dest, NULL, NULL, &error);
  g_assert_null (path);
  g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_FORBIDDEN);
  g_assert_cmpuint (count_files (dest), ==, 0);
  g_assert_cmpuint (kc_sim_server_get_download_count (f->sim), ==, 0);
}

static void
test_download_hostile_id_stays_inside (Fixture       *f,
                                       gconstpointer  data)
{
  g_autofree char *dest = g_build_filename (f->tmpdir, "a", "b", NULL);
  g_autofree char *outer = g_build_filename (f->tmpdir, "a", NULL);
  g_autofree char *path = NULL;
  g_autofree char *dir = NULL;
  g_autoptr (GError) error = NULL;

  kc_sim_server_add_recording (f->sim, "../../x", "1001", "+998901234567", FIRST_TS, 1);
  path = download (f->client, "../../x", dest, NULL, NULL, &error);
  g_assert_no_error (error);

  dir = g_path_get_dirname (path);
  g_assert_cmpstr (dir, ==, dest);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpuint (count_files (f->tmpdir), ==, 1);
  g_assert_cmpuint (count_files (outer), ==, 1);
  g_assert_cmpuint (count_files (dest), ==, 1);
}

static void
test_download_unknown_recording (Fixture       *f,
                                 gconstpointer  data)
{
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;

  path = download (f->client, "no-such-recording", f->tmpdir, NULL, NULL, &error);
  g_assert_null (path);
  g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_RPC);
  g_assert_cmpuint (count_files (f->tmpdir), ==, 0);
}

static void
test_download_after_expiry (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;

  kc_sim_server_add_recording (f->sim, "rec-1", "1001", "+998901234567", FIRST_TS, 1);
  assert_get_calls_ok (f->client);
  kc_sim_server_expire_sessions (f->sim);

  path = download (f->client, "rec-1", f->tmpdir, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "Session.login"), ==, 2);
}

/* --- What goes over the wire, seen by a bare server --- */

typedef enum
{
  CAPTURE_NORMAL,
  CAPTURE_ALWAYS_EXPIRED, /* every session dies at once */
  CAPTURE_LYING_TOTAL,    /* announces 1000 rows, has 3 */
  CAPTURE_IGNORES_START,  /* the same page whatever start says */
} CaptureMode;

typedef struct
{
  SoupServer  *server;
  char        *endpoint;
  CaptureMode  mode;
  GPtrArray   *requests; /* JsonNode of each request body */
  GPtrArray   *tokens;   /* X-Token of each request, "" when none */
  char        *accept;
  char        *content_type;
  char        *user_agent;
  char        *cookie;
  guint        logins;
} Capture;

static void
replace_string (char       **field,
                const char  *value)
{
  g_free (*field);
  *field = g_strdup (value);
}

static const char *
capture_answer (Capture    *capture,
                const char *method)
{
  if (g_strcmp0 (method, "Session.login") == 0)
    return "{\"token\":\"tok-1\"}";
  if (capture->mode == CAPTURE_ALWAYS_EXPIRED)
    return NULL;
  if (g_strcmp0 (method, "CallHistory.get") == 0)
    return "{\"callHistory\":[{\"ID\":\"a\"},{\"ID\":\"b\"},{\"ID\":\"c\"}],\"totalItems\":1000}";
  return "{\"calls\":[],\"totalItems\":0}";
}

static gint64
query_start (JsonObject *request)
{
  JsonObject *params = json_object_get_object_member (request, "params");
  JsonNode *query = json_object_get_member (params, "query");
  gint64 start = 0;

  if (query != NULL && JSON_NODE_HOLDS_OBJECT (query))
    kc_kerio_json_get_int (json_node_get_object (query), "start", &start);
  return start;
}

static void
capture_handler (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  Capture *capture = user_data;
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *response_headers = soup_server_message_get_response_headers (msg);
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  JsonObject *request;
  const char *method;
  const char *answer;
  const char *token;
  gint64 start;

  root = json_from_string (body->data, &error);
  g_assert_no_error (error);
  request = json_node_get_object (root);
  method = json_object_get_string_member (request, "method");

  g_ptr_array_add (capture->requests, json_node_ref (root));
  token = soup_message_headers_get_one (headers, "X-Token");
  g_ptr_array_add (capture->tokens, g_strdup (token != NULL ? token : ""));
  replace_string (&capture->accept, soup_message_headers_get_one (headers, "Accept"));
  replace_string (&capture->content_type, soup_message_headers_get_one (headers, "Content-Type"));
  replace_string (&capture->user_agent, soup_message_headers_get_one (headers, "User-Agent"));
  replace_string (&capture->cookie, soup_message_headers_get_one (headers, "Cookie"));

  if (g_strcmp0 (method, "Session.login") == 0)
    {
      capture->logins++;
      soup_message_headers_append (response_headers, "Set-Cookie", "KSESSION=c00kie; path=/");
    }

  answer = capture_answer (capture, method);
  start = query_start (request);
  if (answer != NULL && capture->mode == CAPTURE_LYING_TOTAL && start > 0)
    answer = "{\"callHistory\":[],\"totalItems\":1000}";

  if (answer != NULL)
    text = g_strdup_printf ("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":%s}", answer);
  else
    text = g_strdup ("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32001,"
                     "\"message\":\"Session expired.\"}}");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json-rpc", SOUP_MEMORY_COPY, text,
                                    strlen (text));
}

static Capture *
capture_new (CaptureMode mode)
{
  Capture *capture = g_new0 (Capture, 1);
  g_autoptr (GError) error = NULL;
  GSList *uris;

  capture->mode = mode;
  capture->requests = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  capture->tokens = g_ptr_array_new_with_free_func (g_free);
  capture->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (capture->server, KC_SIM_ENDPOINT_PATH, capture_handler, capture, NULL);
  soup_server_listen_local (capture->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (capture->server);
  capture->endpoint = g_strdup_printf ("http://127.0.0.1:%d" KC_SIM_ENDPOINT_PATH,
                                       g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return capture;
}

static void
capture_free (Capture *capture)
{
  g_object_unref (capture->server);
  g_ptr_array_unref (capture->requests);
  g_ptr_array_unref (capture->tokens);
  g_free (capture->endpoint);
  g_free (capture->accept);
  g_free (capture->content_type);
  g_free (capture->user_agent);
  g_free (capture->cookie);
  g_free (capture);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Capture, capture_free)

static JsonObject *
captured (Capture *capture,
          guint    index)
{
  g_assert_cmpuint (index, <, capture->requests->len);
  return json_node_get_object (g_ptr_array_index (capture->requests, index));
}

static void
assert_json_equals (JsonNode   *node,
                    const char *expected)
{
  g_autoptr (JsonNode) expected_node = json_from_string (expected, NULL);

  g_assert_nonnull (expected_node);
  if (!json_node_equal (node, expected_node))
    {
      g_autofree char *actual = json_to_string (node, FALSE);

      g_error ("expected %s, got %s", expected, actual);
    }
}

static void
test_wire_format (void)
{
  g_autoptr (Capture) capture = capture_new (CAPTURE_NORMAL);
  g_autoptr (KcKerioClient) client = new_client (capture->endpoint, "pw");
  JsonObject *login;
  JsonObject *get_calls_request;
  g_autofree char *user_agent = NULL;

  assert_get_calls_ok (client);

  login = captured (capture, 0);
  g_assert_cmpstr (json_object_get_string_member (login, "jsonrpc"), ==, "2.0");
  g_assert_cmpstr (json_object_get_string_member (login, "method"), ==, "Session.login");
  g_assert_true (json_object_has_member (login, "id"));
  g_assert_false (json_object_has_member (login, "token"));
  assert_json_equals (json_object_get_member (login, "params"),
                      "{\"userName\":\"admin\",\"password\":\"pw\",\"application\":"
                      "{\"name\":\"Kerio CTI\",\"vendor\":\"Kerio CTI developers\","
                      "\"version\":\"" PACKAGE_VERSION "\"}}");
  g_assert_cmpstr (g_ptr_array_index (capture->tokens, 0), ==, "");

  get_calls_request = captured (capture, 1);
  g_assert_cmpstr (json_object_get_string_member (get_calls_request, "method"), ==,
                   "Status.getCalls");
  g_assert_cmpstr (json_object_get_string_member (get_calls_request, "token"), ==, "tok-1");
  g_assert_cmpstr (g_ptr_array_index (capture->tokens, 1), ==, "tok-1");
  g_assert_cmpint (json_object_get_int_member (get_calls_request, "id"), !=,
                   json_object_get_int_member (login, "id"));
  assert_json_equals (json_object_get_member (get_calls_request, "params"),
                      "{\"query\":{\"fields\":[\"from\",\"to\",\"status\",\"answered_duration\","
                      "\"call_duration\"],\"limit\":-1,\"orderBy\":[{\"columnName\":\"status\","
                      "\"direction\":\"Asc\"}]}}");

  g_assert_cmpstr (capture->accept, ==, "application/json-rpc");
  g_assert_cmpstr (capture->content_type, ==, "application/json-rpc; charset=UTF-8");
  g_assert_cmpstr (capture->cookie, ==, "KSESSION=c00kie");
  user_agent = g_strdup_printf ("Kerio CTI/%s", PACKAGE_VERSION);
  g_assert_cmpstr (capture->user_agent, ==, user_agent);
}

static void
test_history_query_format (void)
{
  g_autoptr (Capture) capture = capture_new (CAPTURE_LYING_TOTAL);
  g_autoptr (KcKerioClient) client = new_client (capture->endpoint, "pw");
  g_autoptr (GPtrArray) history = NULL;
  g_autoptr (GError) error = NULL;

  /* A server that announces more rows than it has: the empty page ends it */
  history = get_history (client, 1700000000, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (history->len, ==, 3);
  g_assert_cmpuint (capture->requests->len, ==, 3);

  assert_json_equals (json_object_get_member (captured (capture, 1), "params"),
                      "{\"query\":{\"orderBy\":[{\"columnName\":\"TIMESTAMP\","
                      "\"direction\":\"Desc\"}],\"start\":0,\"limit\":500,"
                      "\"conditions\":[{\"fieldName\":\"TIMESTAMP\",\"comparator\":\"GreaterEq\","
                      "\"value\":\"1700000000\"}],\"combining\":\"And\"}}");
  assert_json_equals (json_object_get_member (captured (capture, 2), "params"),
                      "{\"query\":{\"orderBy\":[{\"columnName\":\"TIMESTAMP\","
                      "\"direction\":\"Desc\"}],\"start\":3,\"limit\":500,"
                      "\"conditions\":[{\"fieldName\":\"TIMESTAMP\",\"comparator\":\"GreaterEq\","
                      "\"value\":\"1700000000\"}],\"combining\":\"And\"}}");
}

/* One request with both bounds, whatever totalItems says; a PBX that
 * ignores the conditions does not pass other records off as this span's */
static void
test_find_history_query_format (void)
{
  g_autoptr (Capture) capture = capture_new (CAPTURE_LYING_TOTAL);
  g_autoptr (KcKerioClient) client = new_client (capture->endpoint, "pw");
  g_autoptr (GPtrArray) found = NULL;
  g_autoptr (GError) error = NULL;

  found = find_history (client, 1700000000, 1700000006, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 0);
  g_assert_cmpuint (capture->requests->len, ==, 2);
  assert_json_equals (json_object_get_member (captured (capture, 1), "params"),
                      "{\"query\":{\"conditions\":["
                      "{\"fieldName\":\"TIMESTAMP\",\"comparator\":\"GreaterEq\","
                      "\"value\":\"1700000000\"},"
                      "{\"fieldName\":\"TIMESTAMP\",\"comparator\":\"LessEq\","
                      "\"value\":\"1700000006\"}],\"combining\":\"And\","
                      "\"orderBy\":[{\"columnName\":\"TIMESTAMP\",\"direction\":\"Asc\"}],"
                      "\"start\":0,\"limit\":100}}");
}

static void
test_history_server_ignoring_start (void)
{
  g_autoptr (Capture) capture = capture_new (CAPTURE_IGNORES_START);
  g_autoptr (KcKerioClient) client = new_client (capture->endpoint, "pw");
  g_autoptr (GPtrArray) history = NULL;
  g_autoptr (GError) error = NULL;

  history = get_history (client, -1, &error);
  g_assert_null (history);
  g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_MALFORMED);
  /* one login, and the second page gave the loop away */
  g_assert_cmpuint (capture->requests->len, ==, 3);
  g_assert_false (json_object_has_member (
    json_object_get_object_member (json_object_get_object_member (captured (capture, 1), "params"),
                                   "query"),
    "conditions"));
}

static void
test_second_expiry_is_an_error (void)
{
  g_autoptr (Capture) capture = capture_new (CAPTURE_ALWAYS_EXPIRED);
  g_autoptr (KcKerioClient) client = new_client (capture->endpoint, "pw");
  g_autoptr (GPtrArray) calls = NULL;
  g_autoptr (GError) error = NULL;

  calls = get_calls (client, &error);
  g_assert_null (calls);
  g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_SESSION_EXPIRED);
  /* login, call, login again, call again: then give up */
  g_assert_cmpuint (capture->logins, ==, 2);
  g_assert_cmpuint (capture->requests->len, ==, 4);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/kerio-client/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
#define ADD_TLS(path, func) \
  g_test_add ("/kerio-client/tls/" path, TlsFixture, NULL, tls_set_up, func, tls_tear_down)

  ADD ("session/one-login", test_one_login_for_many_calls);
  ADD ("session/cookie-and-token", test_cookie_and_token_on_every_request);
  ADD ("session/keep-alive", test_keep_alive);
  ADD ("session/relogin-after-expiry", test_relogin_after_expiry);
  ADD ("session/wrong-password", test_wrong_password);
  ADD ("session/logout", test_logout);
  ADD ("session/cancel-waiting-for-login", test_cancel_one_of_two_waiting_for_login);
  ADD ("session/cancel-in-flight", test_cancel_request_in_flight);
  g_test_add_func ("/kerio-client/session/second-expiry", test_second_expiry_is_an_error);
  g_test_add_func ("/kerio-client/wire/format", test_wire_format);
  g_test_add_func ("/kerio-client/wire/history-query", test_history_query_format);
  g_test_add_func ("/kerio-client/wire/ignoring-start", test_history_server_ignoring_start);
  g_test_add_func ("/kerio-client/wire/find-history", test_find_history_query_format);
  ADD ("paging/history-since", test_history_paging_with_since);
  ADD ("history/one-page-ahead", test_history_one_page_ahead);
  ADD ("history/page-not-stored", test_history_page_not_stored);
  ADD ("history/find-span", test_find_history_span);
  ADD ("history/find-no-retry", test_find_history_no_retry);
  ADD ("paging/recordings-since", test_recordings_paging_with_since);
  ADD ("paging/numbers-as-strings", test_numbers_as_strings);
  ADD ("rpc/unknown-method-and-clock", test_unknown_method_and_clock);
  for (guint i = 0; i < G_N_ELEMENTS (fault_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/kerio-client/fault/%s", fault_cases[i].name);

      g_test_add (path, Fixture, &fault_cases[i], fixture_set_up, test_fault, fixture_tear_down);
    }
  ADD ("fault/slow-times-out", test_slow_answer_times_out);
  g_test_add_func ("/kerio-client/fault/connection-refused", test_connection_refused);
  ADD_TLS ("unpinned", test_tls_unpinned_is_refused);
  ADD_TLS ("pinned", test_tls_pinned_is_accepted);
  ADD_TLS ("wrong-pin", test_tls_wrong_pin_is_refused);
  ADD_TLS ("changed-certificate", test_tls_changed_certificate_is_refused);
  ADD ("download/ok", test_download_recording);
  ADD ("download/foreign-origin", test_download_foreign_origin_forbidden);
  ADD ("download/hostile-id", test_download_hostile_id_stays_inside);
  ADD ("download/unknown", test_download_unknown_recording);
  ADD ("download/after-expiry", test_download_after_expiry);

  return g_test_run ();
}
