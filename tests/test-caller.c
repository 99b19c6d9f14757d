/* test-caller.c: who is calling: the caller's own history in a line, the
 * names of numbers, the CRM lookup and "Open in CRM"'s address
 *
 * The local time zone is fixed (UTC+5, Tashkent's, no daylight saving), so
 * "today" and "yesterday" mean the same days on any machine.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <libsoup/soup.h>
#include <string.h>

#include "core/kc-caller-context.h"
#include "core/kc-caller-summary.h"
#include "core/kc-crm.h"
#include "core/kc-store-context.h"
#include "sim/kc-sim-server.h"
#include "kc-test-util.h"

#define CALLER "+998901234567"
#define OTHER  "+998935554433"
#define HOUR   3600
#define DAY    (24 * HOUR)
#define TZ     "<+05>-5"

/* 2026-12-07 15:00 in Tashkent */
static gint64
now_unix (void)
{
  g_autoptr (GDateTime) now = g_date_time_new_local (2026, 12, 7, 15, 0, 0);

  return g_date_time_to_unix (now);
}

static gint64
local_unix (int year,
            int month,
            int day,
            int hour,
            int minute)
{
  g_autoptr (GDateTime) t = g_date_time_new_local (year, month, day, hour, minute, 0);

  return g_date_time_to_unix (t);
}

/* --- The line */

static char *
describe (guint        n_recent,
          gint64       last,
          KcDirection  direction,
          KcCallStatus status,
          gboolean     voicemail)
{
  g_autoptr (GDateTime) now = g_date_time_new_from_unix_local (now_unix ());
  KcCallerHistory history = {
    .n_recent = n_recent,
    .has_last = last >= 0,
    .last_time = last,
    .last_direction = direction,
    .last_status = status,
    .last_voicemail = voicemail,
  };

  return kc_caller_summary_format (&history, now);
}

static void
assert_line (char       *line,
             const char *expected)
{
  g_autofree char *owned = line;

  g_assert_cmpstr (owned, ==, expected);
}

static void
test_summary_wording (void)
{
  assert_line (describe (0, -1, 0, 0, FALSE), "No earlier calls");
  assert_line (describe (3, local_unix (2026, 12, 6, 14, 5), KC_DIRECTION_INCOMING,
                         KC_CALL_STATUS_MISSED, FALSE),
               "3 calls in 7 days, last: missed yesterday 14:05");
  assert_line (describe (1, local_unix (2026, 12, 7, 9, 12), KC_DIRECTION_INCOMING,
                         KC_CALL_STATUS_ANSWERED, FALSE),
               "1 call in 7 days, last: answered today 09:12");
  /* Midnight is a day's first minute; the minute before, yesterday's last */
  assert_line (describe (2, local_unix (2026, 12, 7, 0, 0), KC_DIRECTION_INCOMING,
                         KC_CALL_STATUS_BUSY, FALSE),
               "2 calls in 7 days, last: busy today 00:00");
  assert_line (describe (2, local_unix (2026, 12, 6, 23, 59), KC_DIRECTION_OUTGOING,
                         KC_CALL_STATUS_ANSWERED, FALSE),
               "2 calls in 7 days, last: called, answered yesterday 23:59");
  assert_line (describe (5, local_unix (2026, 12, 5, 23, 59), KC_DIRECTION_OUTGOING,
                         KC_CALL_STATUS_MISSED, FALSE),
               "5 calls in 7 days, last: called, no answer 5 December 23:59");
  assert_line (describe (0, local_unix (2026, 3, 2, 10, 0), KC_DIRECTION_INCOMING,
                         KC_CALL_STATUS_MISSED, TRUE),
               "No calls in 7 days, last: missed, voicemail 2 March 10:00");
  assert_line (describe (0, local_unix (2025, 12, 28, 18, 30), KC_DIRECTION_INCOMING,
                         KC_CALL_STATUS_FAILED, FALSE),
               "No calls in 7 days, last: failed 28 December 2025");
  /* A PBX clock a minute ahead */
  assert_line (describe (1, now_unix () + 60, KC_DIRECTION_INCOMING, KC_CALL_STATUS_ANSWERED,
                         FALSE),
               "1 call in 7 days, last: answered today 15:01");
  assert_line (describe (11, local_unix (2026, 12, 7, 14, 0), KC_DIRECTION_INCOMING,
                         KC_CALL_STATUS_ANSWERED, FALSE),
               "11 calls in 7 days, last: answered today 14:00");
}

/* The line's "today" is the day where the operator is, not in UTC */
static void
test_summary_time_zone (void)
{
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (GDateTime) now = g_date_time_new (utc, 2026, 12, 7, 2, 0, 0);
  KcCallerHistory history = {
    .n_recent = 1,
    .has_last = TRUE,
    /* 2026-12-06 23:30 UTC is 04:30 on the 7th in Tashkent */
    .last_time = local_unix (2026, 12, 7, 4, 30),
    .last_direction = KC_DIRECTION_INCOMING,
    .last_status = KC_CALL_STATUS_ANSWERED,
  };
  g_autofree char *in_utc = kc_caller_summary_format (&history, now);
  g_autoptr (GDateTime) local_now = g_date_time_to_local (now);
  g_autofree char *local = kc_caller_summary_format (&history, local_now);

  g_assert_cmpstr (in_utc, ==, "1 call in 7 days, last: answered yesterday 23:30");
  g_assert_cmpstr (local, ==, "1 call in 7 days, last: answered today 04:30");
}

/* --- The store */

typedef struct
{
  char    *dir;
  KcStore *store;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;

  f->dir = kc_test_make_tmpdir ();
  path = g_build_filename (f->dir, "calls.db", NULL);
  f->store = kc_store_open (path, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->store);
  kc_test_rm_rf (f->dir);
  g_free (f->dir);
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
  record->duration = 60;
  record->end_time = start + 60;
  record->status = status;
  record->voicemail = FALSE;
  record->from_cdr = TRUE;
  return record;
}

/* Takes ownership of record */
static void
upsert (KcStore  *store,
        KcRecord *record)
{
  g_autoptr (GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) kc_record_free);
  g_autoptr (GError) error = NULL;
  guint n_new;

  g_ptr_array_add (records, record);
  g_assert_true (kc_store_upsert_records (store, records, &n_new, &error));
  g_assert_no_error (error);
}

/* Takes ownership of record */
static void
add_live (KcStore  *store,
          KcRecord *record)
{
  g_autoptr (KcRecord) owned = record;
  g_autoptr (GError) error = NULL;

  owned->from_cdr = FALSE;
  g_assert_true (kc_store_add_live_record (store, owned, &error));
  g_assert_no_error (error);
}

static char *
history_line (KcStore    *store,
              const char *number)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDateTime) now = g_date_time_new_from_unix_local (now_unix ());
  KcCallerHistory history;

  g_assert_true (kc_store_get_caller_history (store, number, kc_caller_summary_since (now_unix ()),
                                              &history, &error));
  g_assert_no_error (error);
  return kc_caller_summary_format (&history, now);
}

/* The calls with the number at the other end, both ways; not the calls it
 * made to a third party or those of another number that contains it */
static void
test_history_counts (Fixture       *f,
                     gconstpointer  data)
{
  gint64 now = now_unix ();
  g_autofree char *line = NULL;

  line = history_line (f->store, CALLER);
  g_assert_cmpstr (line, ==, "No earlier calls");
  g_clear_pointer (&line, g_free);

  /* 8 days ago: too old to count, the last call until newer ones come */
  upsert (f->store, make_record ("old", CALLER, "1001", now - 8 * DAY, KC_CALL_STATUS_ANSWERED));
  line = history_line (f->store, CALLER);
  g_assert_cmpstr (line, ==, "No calls in 7 days, last: answered 29 November 15:00");
  g_clear_pointer (&line, g_free);

  /* Exactly 7 days ago counts */
  upsert (f->store, make_record ("in-1", CALLER, "1001", now - 7 * DAY, KC_CALL_STATUS_ANSWERED));
  upsert (f->store, make_record ("out-1", "1002", CALLER, now - 3 * DAY, KC_CALL_STATUS_MISSED));
  upsert (f->store, make_record ("in-2", CALLER, "1003", local_unix (2026, 12, 6, 14, 5),
                                 KC_CALL_STATUS_MISSED));
  /* Not the caller's */
  upsert (f->store, make_record ("other", OTHER, "1001", now - HOUR, KC_CALL_STATUS_ANSWERED));
  upsert (f->store, make_record ("longer", CALLER "9", "1001", now - HOUR,
                                 KC_CALL_STATUS_ANSWERED));
  line = history_line (f->store, CALLER);
  g_assert_cmpstr (line, ==, "3 calls in 7 days, last: missed yesterday 14:05");
  g_clear_pointer (&line, g_free);

  line = history_line (f->store, OTHER);
  g_assert_cmpstr (line, ==, "1 call in 7 days, last: answered today 14:00");
}

/* A live call's row counts at once; the CDR that takes it over later
 * leaves the count as it was, and the names as they were */
static void
test_history_live_then_cdr (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  gint64 start = local_unix (2026, 12, 7, 11, 0);
  g_autofree char *line = NULL;
  KcCallerNames names;

  g_assert_true (kc_store_set_pbx_name (f->store, CALLER, "Aziz", &error));
  g_assert_true (kc_store_set_crm_answer (f->store, CALLER, "Aziz Karimov",
                                          "https://crm.example.uz/c/1", now_unix (), &error));
  add_live (f->store, make_record ("live-1", CALLER, "1001", start, KC_CALL_STATUS_MISSED));
  line = history_line (f->store, CALLER);
  g_assert_cmpstr (line, ==, "1 call in 7 days, last: missed today 11:00");
  g_clear_pointer (&line, g_free);

  upsert (f->store, make_record ("cdr-1", CALLER, "1001", start + 1, KC_CALL_STATUS_ANSWERED));
  g_assert_cmpint (kc_store_count (f->store), ==, 1);
  line = history_line (f->store, CALLER);
  g_assert_cmpstr (line, ==, "1 call in 7 days, last: answered today 11:00");

  g_assert_true (kc_store_get_caller_names (f->store, CALLER, &names, &error));
  g_assert_cmpstr (names.pbx, ==, "Aziz");
  g_assert_cmpstr (names.crm, ==, "Aziz Karimov");
  kc_caller_names_clear (&names);
}

static KcDirectoryEntry *
entry (const char *number,
       const char *name)
{
  KcDirectoryEntry *e = g_new0 (KcDirectoryEntry, 1);

  e->number = g_strdup (number);
  e->name = g_strdup (name);
  return e;
}

/* The directory's name wins, then the CRM's, then the PBX's caller ID */
static void
test_names (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) directory =
    g_ptr_array_new_with_free_func ((GDestroyNotify) kc_directory_entry_free);
  g_autoptr (GHashTable) pbx = g_hash_table_new (g_str_hash, g_str_equal);
  KcCallerNames names;

  g_assert_true (kc_store_get_caller_names (f->store, CALLER, &names, &error));
  g_assert_null (kc_caller_names_best (&names));

  g_hash_table_insert (pbx, CALLER, "AZIZ K");
  g_hash_table_insert (pbx, "1001", "SIP 1001");
  g_assert_true (kc_store_set_pbx_names (f->store, pbx, &error));
  g_assert_true (kc_store_get_caller_names (f->store, CALLER, &names, &error));
  g_assert_cmpstr (kc_caller_names_best (&names), ==, "AZIZ K");
  kc_caller_names_clear (&names);

  g_assert_true (kc_store_set_crm_answer (f->store, CALLER, "Aziz Karimov", NULL, now_unix (),
                                          &error));
  g_assert_true (kc_store_get_caller_names (f->store, CALLER, &names, &error));
  g_assert_cmpstr (kc_caller_names_best (&names), ==, "Aziz Karimov");
  kc_caller_names_clear (&names);

  g_ptr_array_add (directory, entry ("1001", "Nodira Usmonova"));
  g_ptr_array_add (directory, entry ("1002", NULL));
  g_ptr_array_add (directory, entry ("1001", "Someone else"));
  g_assert_true (kc_store_replace_directory (f->store, directory, &error));
  g_assert_no_error (error);
  g_assert_true (kc_store_get_caller_names (f->store, "1001", &names, &error));
  g_assert_cmpstr (kc_caller_names_best (&names), ==, "Nodira Usmonova");
  g_assert_cmpstr (names.pbx, ==, "SIP 1001");
  kc_caller_names_clear (&names);

  /* Replaced whole: a number the PBX no longer lists loses its name */
  g_ptr_array_set_size (directory, 0);
  g_ptr_array_add (directory, entry ("1003", "Zarina Sobirova"));
  g_assert_true (kc_store_replace_directory (f->store, directory, &error));
  g_assert_true (kc_store_get_caller_names (f->store, "1001", &names, &error));
  g_assert_null (names.directory);
  g_assert_cmpstr (kc_caller_names_best (&names), ==, "SIP 1001");
  kc_caller_names_clear (&names);
}

/* --- The CRM */

typedef struct
{
  KcSimServer *sim;
  char        *dir;
  KcStore     *store;
  GPtrArray   *messages;
  guint        log_handler;
  SoupServer  *odd;       /* a CRM of the test's own, for odd answers */
  char        *odd_url;
  char        *odd_body;  /* what it answers */
  GHashTable  *odd_query; /* what it was asked last */
} CrmFixture;

static void
record_message (const char     *domain,
                GLogLevelFlags  level,
                const char     *message,
                gpointer        user_data)
{
  CrmFixture *f = user_data;

  g_test_message ("%s: %s", domain, message);
  g_ptr_array_add (f->messages, g_strdup (message));
}

static void
odd_handler (SoupServer        *server,
             SoupServerMessage *msg,
             const char        *path,
             GHashTable        *query,
             gpointer           user_data)
{
  CrmFixture *f = user_data;

  g_clear_pointer (&f->odd_query, g_hash_table_unref);
  f->odd_query = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (query != NULL)
    {
      GHashTableIter iter;
      gpointer key, value;

      g_hash_table_iter_init (&iter, query);
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_hash_table_insert (f->odd_query, g_strdup (key), g_strdup (value));
    }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, f->odd_body,
                                    strlen (f->odd_body));
}

static void
crm_set_up (CrmFixture    *f,
            gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autofree char *path = NULL;
  GSList *uris;

  f->sim = kc_sim_server_new ();
  g_assert_true (kc_sim_server_listen (f->sim, 0, NULL, &error));
  g_assert_no_error (error);
  f->dir = kc_test_make_tmpdir ();
  path = g_build_filename (f->dir, "calls.db", NULL);
  f->store = kc_store_open (path, &error);
  g_assert_no_error (error);
  f->messages = g_ptr_array_new_with_free_func (g_free);
  f->log_handler = g_log_set_handler ("kc-crm", G_LOG_LEVEL_MESSAGE, record_message, f);

  f->odd = soup_server_new (NULL, NULL);
  soup_server_add_handler (f->odd, "/", odd_handler, f, NULL);
  g_assert_true (soup_server_listen (f->odd, address, 0, &error));
  uris = soup_server_get_uris (f->odd);
  f->odd_url = g_strdup_printf ("http://127.0.0.1:%d/find?phone={number}&op={extension}",
                                g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
}

static void
crm_tear_down (CrmFixture    *f,
               gconstpointer  data)
{
  g_log_remove_handler ("kc-crm", f->log_handler);
  g_ptr_array_unref (f->messages);
  soup_server_disconnect (f->odd);
  g_clear_object (&f->odd);
  g_free (f->odd_url);
  g_free (f->odd_body);
  g_clear_pointer (&f->odd_query, g_hash_table_unref);
  g_clear_object (&f->store);
  g_clear_object (&f->sim);
  kc_test_rm_rf (f->dir);
  g_free (f->dir);
}

typedef struct
{
  gboolean  ok;
  char     *name;
  char     *url;
  GError   *error;
  double    seconds;
} Answer;

static void
answer_clear (Answer *answer)
{
  g_free (answer->name);
  g_free (answer->url);
  g_clear_error (&answer->error);
}

static Answer
look_up (KcCrm      *crm,
         const char *number)
{
  g_autoptr (GAsyncResult) result = NULL;
  gint64 start = g_get_monotonic_time ();
  Answer answer = { 0 };

  kc_crm_lookup_async (crm, number, "1001", NULL, kc_test_store_result, &result);
  KC_TEST_AWAIT (result);
  answer.seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  answer.ok = kc_crm_lookup_finish (crm, result, &answer.name, &answer.url, &answer.error);
  return answer;
}

static KcCrm *
sim_crm (CrmFixture *f)
{
  g_autofree char *url = kc_sim_server_get_crm_lookup_url (f->sim);

  return kc_crm_new (url);
}

static void
test_crm_lookup (CrmFixture    *f,
                 gconstpointer  data)
{
  g_autoptr (KcCrm) crm = sim_crm (f);
  Answer answer = look_up (crm, CALLER);
  g_autofree char *card = g_strdup_printf ("http://127.0.0.1:%u/crm/customers/1",
                                           kc_sim_server_get_port (f->sim));

  g_assert_no_error (answer.error);
  g_assert_true (answer.ok);
  g_assert_cmpstr (answer.name, ==, "Aziz Karimov (Sharq Savdo MChJ)");
  g_assert_cmpstr (answer.url, ==, card);
  answer_clear (&answer);

  /* Not a customer: no name, nothing logged */
  answer = look_up (crm, "+998711234567");
  g_assert_no_error (answer.error);
  g_assert_true (answer.ok);
  g_assert_null (answer.name);
  g_assert_null (answer.url);
  answer_clear (&answer);
  g_assert_cmpuint (kc_sim_server_get_crm_lookup_count (f->sim), ==, 2);
  g_assert_cmpuint (f->messages->len, ==, 0);
}

/* A CRM that is slow, broken or down fails the lookup within 1.5 s, and is
 * logged once until a lookup works again */
static void
test_crm_faults (CrmFixture    *f,
                 gconstpointer  data)
{
  g_autoptr (KcCrm) crm = sim_crm (f);
  g_autoptr (KcCrm) down = kc_crm_new ("http://127.0.0.1:9/lookup?n={number}");
  Answer answer;

  kc_sim_server_set_slow_delay (f->sim, 3);
  kc_sim_server_set_crm_fault (f->sim, KC_SIM_CRM_SLOW);
  answer = look_up (crm, CALLER);
  g_assert_error (answer.error, KC_CRM_ERROR, KC_CRM_ERROR_FAILED);
  g_assert_nonnull (strstr (answer.error->message, "1.5 s"));
  g_assert_cmpfloat (answer.seconds, >=, 1.4);
  g_assert_cmpfloat (answer.seconds, <, 2.5);
  answer_clear (&answer);
  g_assert_cmpuint (f->messages->len, ==, 1);

  kc_sim_server_set_crm_fault (f->sim, KC_SIM_CRM_BROKEN);
  answer = look_up (crm, CALLER);
  g_assert_error (answer.error, KC_CRM_ERROR, KC_CRM_ERROR_FAILED);
  answer_clear (&answer);
  kc_sim_server_set_crm_fault (f->sim, KC_SIM_CRM_HTTP_500);
  answer = look_up (crm, CALLER);
  g_assert_error (answer.error, KC_CRM_ERROR, KC_CRM_ERROR_FAILED);
  g_assert_nonnull (strstr (answer.error->message, "500"));
  answer_clear (&answer);
  /* Still the one line */
  g_assert_cmpuint (f->messages->len, ==, 1);

  kc_sim_server_set_crm_fault (f->sim, KC_SIM_CRM_OK);
  answer = look_up (crm, CALLER);
  g_assert_true (answer.ok);
  answer_clear (&answer);
  g_assert_cmpuint (f->messages->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (f->messages, 1), ==, "CRM lookups work again");

  kc_sim_server_set_crm_fault (f->sim, KC_SIM_CRM_BROKEN);
  answer = look_up (crm, CALLER);
  g_assert_false (answer.ok);
  answer_clear (&answer);
  g_assert_cmpuint (f->messages->len, ==, 3);

  /* Nobody there at all */
  answer = look_up (down, CALLER);
  g_assert_error (answer.error, KC_CRM_ERROR, KC_CRM_ERROR_FAILED);
  answer_clear (&answer);
  g_assert_cmpuint (f->messages->len, ==, 4);
}

static void
expect_odd (CrmFixture *f,
            const char *body,
            const char *name,
            const char *url)
{
  g_autoptr (KcCrm) crm = kc_crm_new (f->odd_url);
  Answer answer;

  g_free (f->odd_body);
  f->odd_body = g_strdup (body);
  answer = look_up (crm, CALLER);
  g_test_message ("%s", body);
  g_assert_no_error (answer.error);
  g_assert_cmpstr (answer.name, ==, name);
  g_assert_cmpstr (answer.url, ==, url);
  answer_clear (&answer);
}

/* Numbers go into the template escaped; only http(s) cards are kept, a
 * relative one is the CRM's own; names are one line */
static void
test_crm_answers (CrmFixture    *f,
                  gconstpointer  data)
{
  g_autofree char *base = g_strndup (f->odd_url, strstr (f->odd_url, "/find") - f->odd_url);
  g_autofree char *relative = g_strconcat (base, "/customers/7", NULL);

  expect_odd (f, "{\"name\":\"Aziz\",\"url\":\"https://crm.example.uz/c/1\",\"id\":7,\"x\":[1]}",
              "Aziz", "https://crm.example.uz/c/1");
  g_assert_cmpstr (g_hash_table_lookup (f->odd_query, "phone"), ==, CALLER);
  g_assert_cmpstr (g_hash_table_lookup (f->odd_query, "op"), ==, "1001");
  expect_odd (f, "{\"name\":\"Aziz\",\"url\":\"/customers/7\"}", "Aziz", relative);
  expect_odd (f, "{\"name\":\"Aziz\",\"url\":\"file:///etc/passwd\"}", "Aziz", NULL);
  expect_odd (f, "{\"name\":\"Aziz\",\"url\":\"javascript:alert(1)\"}", "Aziz", NULL);
  expect_odd (f, "{\"name\":\"Aziz\",\"url\":\"tel:+998901234567\"}", "Aziz", NULL);
  expect_odd (f, "{\"name\":\"Aziz\",\"url\":42}", "Aziz", NULL);
  expect_odd (f, "{\"name\":\"  Gʻayrat\\nOʻrinboyev\\t\"}", "Gʻayrat Oʻrinboyev", NULL);
  expect_odd (f, "{\"name\":\"\"}", NULL, NULL);
  expect_odd (f, "{\"name\":null,\"url\":\"https://crm.example.uz/new\"}", NULL,
              "https://crm.example.uz/new");
  expect_odd (f, "{}", NULL, NULL);
}

static void
test_crm_templates (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *a =
    kc_crm_expand_template ("https://crm.example.uz/find?phone={number}&ext={extension}",
                            "+998 90/123&x=1#y", "1001");
  g_autofree char *b = kc_crm_expand_template ("https://crm.example.uz/c/{number}", "*99",
                                               NULL);
  g_autofree char *c = kc_crm_expand_template ("file:///tmp/{number}", CALLER, NULL);
  g_autofree char *d = kc_crm_expand_template ("{number}", "https://evil.example/", NULL);

  g_assert_cmpstr (a, ==,
                   "https://crm.example.uz/find?phone=%2B998%2090%2F123%26x%3D1%23y&ext=1001");
  g_assert_cmpstr (b, ==, "https://crm.example.uz/c/%2A99");
  g_assert_null (c);
  g_assert_null (d);

  g_assert_true (kc_crm_check_template ("http://crm/x?n={number}", &error));
  g_assert_false (kc_crm_check_template ("https://crm.example.uz/x", &error));
  g_assert_error (error, KC_CRM_ERROR, KC_CRM_ERROR_TEMPLATE);
  g_clear_error (&error);
  g_assert_false (kc_crm_check_template ("ftp://crm/{number}", &error));
  g_clear_error (&error);
  g_assert_false (kc_crm_check_template ("crm.example.uz/{number}", &error));
  g_clear_error (&error);

  g_assert_true (kc_crm_is_web_url ("https://crm.example.uz/c/1"));
  g_assert_true (kc_crm_is_web_url ("HTTP://crm.example.uz"));
  g_assert_false (kc_crm_is_web_url ("file:///etc/passwd"));
  g_assert_false (kc_crm_is_web_url ("javascript:alert(1)"));
  g_assert_false (kc_crm_is_web_url ("x-scheme-handler://crm"));
  g_assert_false (kc_crm_is_web_url ("/customers/1"));
  g_assert_false (kc_crm_is_web_url ("https://"));
  g_assert_false (kc_crm_is_web_url (NULL));
}

/* --- The context */

static void
on_name_changed (KcCallerContext *context,
                 const char      *number,
                 GPtrArray       *changed)
{
  g_ptr_array_add (changed, g_strdup (number));
}

/* Asked once a local day per number: today's answer is kept, yesterday's
 * is asked again; "Open in CRM" opens the card, else the CRM's page */
static void
test_context_cache (CrmFixture    *f,
                    gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *lookup = kc_sim_server_get_crm_lookup_url (f->sim);
  g_autofree char *search = kc_sim_server_get_crm_search_url (f->sim);
  g_autoptr (KcCallerContext) context = kc_caller_context_new (f->store, lookup, search);
  g_autoptr (KcCallerContext) bare = kc_caller_context_new (f->store, NULL, NULL);
  g_autoptr (GPtrArray) changed = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *name = NULL;
  g_autofree char *card = NULL;
  g_autofree char *page = NULL;
  g_autofree char *expected_card = g_strdup_printf ("http://127.0.0.1:%u/crm/customers/1",
                                                    kc_sim_server_get_port (f->sim));
  g_autofree char *expected_page = g_strdup_printf (
    "http://127.0.0.1:%u/crm/search?number=%%2B998711234567", kc_sim_server_get_port (f->sim));
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  g_signal_connect (context, "name-changed", G_CALLBACK (on_name_changed), changed);
  g_assert_true (kc_caller_context_has_crm (context));
  g_assert_false (kc_caller_context_has_crm (bare));

  kc_caller_context_look_up (context, CALLER, "1001");
  /* One at a time */
  kc_caller_context_look_up (context, CALLER, "1001");
  KC_TEST_WAIT_UNTIL (changed->len == 1, 5);
  g_assert_cmpstr (g_ptr_array_index (changed, 0), ==, CALLER);
  g_assert_cmpuint (kc_sim_server_get_crm_lookup_count (f->sim), ==, 1);
  name = kc_caller_context_get_name (context, CALLER, "AZIZ");
  g_assert_cmpstr (name, ==, "Aziz Karimov (Sharq Savdo MChJ)");
  card = kc_caller_context_get_crm_url (context, CALLER);
  g_assert_cmpstr (card, ==, expected_card);
  page = kc_caller_context_get_crm_url (context, "+998711234567");
  g_assert_cmpstr (page, ==, expected_page);
  g_assert_null (kc_caller_context_get_crm_url (bare, "+998711234567"));

  /* Today's answer stands */
  kc_caller_context_look_up (context, CALLER, "1001");
  kc_test_run_for (0.3);
  g_assert_cmpuint (kc_sim_server_get_crm_lookup_count (f->sim), ==, 1);

  /* Yesterday's is asked again; the same answer changes nothing */
  g_assert_true (kc_store_set_crm_answer (f->store, CALLER, "Aziz Karimov (Sharq Savdo MChJ)",
                                          expected_card, now - DAY, &error));
  kc_caller_context_look_up (context, CALLER, "1001");
  KC_TEST_WAIT_UNTIL (kc_sim_server_get_crm_lookup_count (f->sim) == 2, 5);
  kc_test_run_for (0.3);
  g_assert_cmpuint (changed->len, ==, 1);

  /* A failed lookup is not kept: the next call asks again */
  kc_sim_server_set_crm_fault (f->sim, KC_SIM_CRM_HTTP_500);
  kc_caller_context_look_up (context, OTHER, "1001");
  KC_TEST_WAIT_UNTIL (kc_sim_server_get_crm_lookup_count (f->sim) == 3, 5);
  kc_test_run_for (0.3);
  kc_sim_server_set_crm_fault (f->sim, KC_SIM_CRM_OK);
  kc_caller_context_look_up (context, OTHER, "1001");
  KC_TEST_WAIT_UNTIL (changed->len == 2, 5);
  g_clear_pointer (&name, g_free);
  name = kc_caller_context_get_name (context, OTHER, NULL);
  g_assert_cmpstr (name, ==, "Dilnoza Rahimova");

  /* Without a CRM nothing is asked */
  kc_caller_context_look_up (bare, "+998971112233", "1001");
  kc_test_run_for (0.3);
  g_assert_cmpuint (kc_sim_server_get_crm_lookup_count (f->sim), ==, 4);
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("TZ", TZ, TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/caller/summary/wording", test_summary_wording);
  g_test_add_func ("/caller/summary/time-zone", test_summary_time_zone);
  g_test_add ("/caller/history/counts", Fixture, NULL, fixture_set_up, test_history_counts,
              fixture_tear_down);
  g_test_add ("/caller/history/live-then-cdr", Fixture, NULL, fixture_set_up,
              test_history_live_then_cdr, fixture_tear_down);
  g_test_add ("/caller/names", Fixture, NULL, fixture_set_up, test_names, fixture_tear_down);
  g_test_add_func ("/caller/crm/templates", test_crm_templates);
  g_test_add ("/caller/crm/lookup", CrmFixture, NULL, crm_set_up, test_crm_lookup,
              crm_tear_down);
  g_test_add ("/caller/crm/faults", CrmFixture, NULL, crm_set_up, test_crm_faults,
              crm_tear_down);
  g_test_add ("/caller/crm/answers", CrmFixture, NULL, crm_set_up, test_crm_answers,
              crm_tear_down);
  g_test_add ("/caller/context/cache", CrmFixture, NULL, crm_set_up, test_context_cache,
              crm_tear_down);

  return g_test_run ();
}
