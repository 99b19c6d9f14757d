/* test-capture.c: what kerio-cti --capture writes, and what it never writes
 *
 * A capture is made to be sent to us by a user with a real PBX: every line
 * must read back, secrets must never reach the file, and with
 * anonymization neither must the customers' numbers and names, while the
 * capture still tells one number from another.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "kc-test-headless.h"
#include "kc-test-util.h"
#include "kerio/kc-kerio-client-private.h"
#include "kerio/kc-kerio-scrub.h"
#include "sim/kc-sim-server.h"

#define PASSWORD "Capture-Pa55word-77"
#define CALLER "+998901234567"
#define CALLER_NAME "Aziz Karimov"
#define OTHER_CALLER "+998935551122"
#define OPERATOR "1001"
#define OPERATOR_NAME "Nodira Usmonova"
#define OTHER_OPERATOR "1002"
#define FIRST_TS 1735732800

typedef struct
{
  KcSimServer   *sim;
  KcKerioClient *client;
  char          *dir;
  char          *path;
  char          *token;  /* the session's, seen before logout */
  GPtrArray     *cookie_values;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;
  g_autoptr (GUri) uri = NULL;

  f->sim = kc_sim_server_new ();
  kc_sim_server_set_credentials (f->sim, KC_SIM_DEFAULT_USERNAME, PASSWORD);
  kc_sim_server_listen (f->sim, 0, NULL, &error);
  g_assert_no_error (error);
  url = kc_sim_server_get_endpoint_url (f->sim);
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  f->client = kc_kerio_client_new (uri, KC_SIM_DEFAULT_USERNAME, PASSWORD);
  f->dir = kc_test_make_tmpdir ();
  f->path = g_build_filename (f->dir, "capture.jsonl", NULL);
  f->cookie_values = g_ptr_array_new_with_free_func (g_free);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->client);
  g_clear_object (&f->sim);
  kc_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->path);
  g_free (f->token);
  g_ptr_array_unref (f->cookie_values);
}

static void
start_capture (Fixture  *f,
               gboolean  anonymize)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KcKerioCapture) capture = kc_kerio_capture_new (f->path, anonymize, &error);

  g_assert_no_error (error);
  kc_kerio_client_set_capture (f->client, capture);
}

/* --- The client, waited for --- */

static GPtrArray *
get_calls (KcKerioClient  *client,
           GError        **error)
{
  g_autoptr (GAsyncResult) res = NULL;

  kc_kerio_client_get_calls_async (client, NULL, kc_test_store_result, &res);
  KC_TEST_AWAIT (res);
  return kc_kerio_client_get_calls_finish (client, res, error);
}

static GPtrArray *
get_history (KcKerioClient *client)
{
  g_autoptr (GAsyncResult) res = NULL;
  g_autoptr (GError) error = NULL;
  GPtrArray *rows;

  kc_kerio_client_get_call_history_async (client, -1, NULL, kc_test_store_result, &res);
  KC_TEST_AWAIT (res);
  rows = kc_kerio_client_get_call_history_finish (client, res, &error);
  g_assert_no_error (error);
  return rows;
}

static GPtrArray *
get_recordings (KcKerioClient *client)
{
  g_autoptr (GAsyncResult) res = NULL;
  g_autoptr (GError) error = NULL;
  GPtrArray *rows;

  kc_kerio_client_get_recordings_async (client, -1, NULL, kc_test_store_result, &res);
  KC_TEST_AWAIT (res);
  rows = kc_kerio_client_get_recordings_finish (client, res, &error);
  g_assert_no_error (error);
  return rows;
}

static void
logout (KcKerioClient *client)
{
  g_autoptr (GAsyncResult) res = NULL;
  g_autoptr (GError) error = NULL;

  kc_kerio_client_logout_async (client, NULL, kc_test_store_result, &res);
  KC_TEST_AWAIT (res);
  g_assert_true (kc_kerio_client_logout_finish (client, res, &error));
  g_assert_no_error (error);
}

static void
assert_calls (KcKerioClient *client,
              guint          n)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) calls = get_calls (client, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (calls->len, ==, n);
}

/* Rows of live calls, at least n: an external call is a row per leg in
 * the simulator's field dialect, one row in its sdk dialect */
static void
assert_calls_at_least (KcKerioClient *client,
                       guint          n)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) calls = get_calls (client, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (calls->len, >=, n);
}

/* The session's secrets, to look for in the file afterwards */
static void
remember_secrets (Fixture *f)
{
  SoupCookieJar *jar = SOUP_COOKIE_JAR (
    soup_session_get_feature (f->client->session, SOUP_TYPE_COOKIE_JAR));
  GSList *cookies = soup_cookie_jar_all_cookies (jar);

  g_assert_nonnull (f->client->token);
  f->token = g_strdup (f->client->token);
  for (GSList *l = cookies; l != NULL; l = l->next)
    g_ptr_array_add (f->cookie_values, g_strdup (soup_cookie_get_value (l->data)));
  g_slist_free_full (cookies, (GDestroyNotify) soup_cookie_free);
  g_assert_cmpuint (f->cookie_values->len, >, 0);
}

/* A short session as the app has it: login, polls while a call rings and
 * is answered, then a sync of the history and the recordings, logout */
static void
run_session (Fixture *f)
{
  g_autoptr (GPtrArray) history = NULL;
  g_autoptr (GPtrArray) recordings = NULL;
  const char *call;
  const char *other;

  kc_sim_server_add_cdr (f->sim, "old", FIRST_TS, OTHER_CALLER, OTHER_OPERATOR,
                         KC_SIM_CDR_NO_ANSWER, 20, 0);
  call = kc_sim_server_add_call (f->sim, CALLER, CALLER_NAME, OPERATOR, OPERATOR_NAME);
  other = kc_sim_server_add_call (f->sim, OTHER_CALLER, NULL, OTHER_OPERATOR, NULL);
  assert_calls_at_least (f->client, 2);
  assert_calls_at_least (f->client, 2);
  kc_sim_server_answer_call (f->sim, call);
  assert_calls_at_least (f->client, 2);
  kc_sim_server_end_call (f->sim, call, KC_SIM_CDR_NO_ANSWER);
  kc_sim_server_end_call (f->sim, other, KC_SIM_CDR_BUSY);
  assert_calls (f->client, 0);
  history = get_history (f->client);
  g_assert_cmpuint (history->len, ==, 3);
  recordings = get_recordings (f->client);
  g_assert_cmpuint (recordings->len, ==, 1);
  remember_secrets (f);
  logout (f->client);
}

/* --- Reading the file back --- */

static char *
read_file (const char *path)
{
  g_autoptr (GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

static gboolean
is_capture_time (const char *text)
{
  return g_regex_match_simple ("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$",
                               text, 0, 0);
}

/* Every line, checked against the format; JsonObject each */
static GPtrArray *
read_lines (const char *path)
{
  g_autofree char *text = read_file (path);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  GPtrArray *objects = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  guint n = g_strv_length (lines);

  g_assert_cmpuint (n, >, 1);
  g_assert_cmpstr (lines[n - 1], ==, "");
  for (guint i = 0; i + 1 < n; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonNode) root = json_from_string (lines[i], &error);
      JsonObject *o;
      JsonNode *params;
      JsonNode *response;

      g_assert_no_error (error);
      g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
      o = json_node_get_object (root);
      g_assert_true (is_capture_time (json_object_get_string_member (o, "time")));
      g_assert_nonnull (json_object_get_string_member (o, "method"));
      params = json_object_get_member (o, "params");
      g_assert_true (params != NULL && (JSON_NODE_HOLDS_NULL (params)
                                        || JSON_NODE_HOLDS_OBJECT (params)));
      g_assert_true (json_object_has_member (o, "status"));
      g_assert_cmpint (json_object_get_int_member (o, "elapsedMs"), >=, 0);
      response = json_object_get_member (o, "response");
      g_assert_true (response != NULL && (JSON_NODE_HOLDS_NULL (response)
                                          || json_node_get_value_type (response) == G_TYPE_STRING));
      g_assert_nonnull (json_object_get_array_member (o, "setCookie"));
      if (json_object_get_int_member (o, "status") == 0)
        {
          g_assert_nonnull (json_object_get_string_member (o, "error"));
          g_assert_true (JSON_NODE_HOLDS_NULL (response));
        }
      g_ptr_array_add (objects, json_object_ref (o));
    }
  return objects;
}

static JsonObject *
find_line (GPtrArray  *lines,
           const char *method,
           guint       nth)
{
  for (guint i = 0; i < lines->len; i++)
    {
      JsonObject *o = g_ptr_array_index (lines, i);

      if (g_strcmp0 (json_object_get_string_member (o, "method"), method) == 0 && nth-- == 0)
        return o;
    }
  g_error ("no %s line", method);
}

static guint
count_lines (GPtrArray  *lines,
             const char *method)
{
  guint n = 0;

  for (guint i = 0; i < lines->len; i++)
    n += g_strcmp0 (json_object_get_string_member (g_ptr_array_index (lines, i), "method"),
                    method)
         == 0;
  return n;
}

/* The "result" of a recorded answer */
static JsonObject *
recorded_result (JsonObject  *line,
                 JsonNode   **root)
{
  g_autoptr (GError) error = NULL;

  *root = json_from_string (json_object_get_string_member (line, "response"), &error);
  g_assert_no_error (error);
  return json_object_get_object_member (json_node_get_object (*root), "result");
}

static void
assert_nowhere (const char *text,
                const char *secret)
{
  if (strstr (text, secret) != NULL)
    g_error ("“%s” is in the capture", secret);
}

static void
assert_secrets_gone (Fixture    *f,
                     const char *text)
{
  assert_nowhere (text, PASSWORD);
  assert_nowhere (text, f->token);
  for (guint i = 0; i < f->cookie_values->len; i++)
    assert_nowhere (text, g_ptr_array_index (f->cookie_values, i));
}

/* --- A capture as it is --- */

static void
test_session (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr (GPtrArray) lines = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;
  JsonObject *login;
  JsonArray *cookies;
  JsonObject *poll;
  struct stat st;

  start_capture (f, FALSE);
  run_session (f);

  g_assert_cmpint (g_stat (f->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  lines = read_lines (f->path);
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (lines, 0), "method"), ==,
                   "Session.login");
  g_assert_cmpuint (count_lines (lines, "Status.getCalls"), ==, 4);
  g_assert_cmpuint (count_lines (lines, "CallHistory.get"), ==, 1);
  g_assert_cmpuint (count_lines (lines, "Recordings.get"), ==, 1);
  g_assert_cmpuint (count_lines (lines, "Session.logout"), ==, 1);
  g_assert_cmpuint (lines->len, ==, 8);

  login = find_line (lines, "Session.login", 0);
  g_assert_cmpint (json_object_get_int_member (login, "status"), ==, 200);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (login, "params"),
                                                  "password"),
                   ==, KC_KERIO_REDACTED);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (login, "params"),
                                                  "userName"),
                   ==, KC_SIM_DEFAULT_USERNAME);
  g_assert_cmpstr (json_object_get_string_member (recorded_result (login, &root), "token"), ==,
                   KC_KERIO_REDACTED);
  cookies = json_object_get_array_member (login, "setCookie");
  g_assert_cmpuint (json_array_get_length (cookies), ==, 1);
  g_assert_true (g_str_has_prefix (json_array_get_string_element (cookies, 0),
                                   "SESSION_OPERATOR_WEBADMIN=" KC_KERIO_REDACTED "; path=/admin/;"));
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (find_line (lines, "Session.logout", 0),
                                                               "params")));

  /* Without anonymization the answer is the body the PBX sent */
  poll = find_line (lines, "Status.getCalls", 0);
  g_assert_nonnull (strstr (json_object_get_string_member (poll, "response"), CALLER));
  g_assert_true (json_object_has_member (json_object_get_object_member (poll, "params"), "query"));

  text = read_file (f->path);
  assert_secrets_gone (f, text);
}

/* --- Anonymized --- */

static const char *
row_number (JsonObject *row,
            const char *end)
{
  return json_object_get_string_member (json_object_get_object_member (row, end), "NUMBER");
}

static void
assert_same_shape (const char *fake,
                   const char *real)
{
  g_assert_cmpstr (fake, !=, real);
  g_assert_cmpuint (strlen (fake), ==, strlen (real));
  g_assert_cmpint (fake[0] == '+', ==, real[0] == '+');
  for (const char *p = fake + (fake[0] == '+'); *p != '\0'; p++)
    g_assert_true (g_ascii_isdigit (*p));
}

static JsonArray *
result_array (JsonObject  *line,
              const char  *member,
              JsonNode   **root)
{
  return json_object_get_array_member (recorded_result (line, root), member);
}

static void
test_anonymized_session (Fixture       *f,
                         gconstpointer  data)
{
  static const char *const real[] = { CALLER, CALLER + 1, OTHER_CALLER, OTHER_CALLER + 1,
                                      CALLER_NAME, OPERATOR_NAME };
  g_autoptr (GPtrArray) lines = NULL;
  g_autofree char *text = NULL;
  const char *fake_caller;
  const char *fake_operator;
  const char *fake_other;
  const char *fake_other_operator;
  JsonNode *roots[8] = { NULL };
  JsonArray *rows;
  JsonObject *cdr = NULL;
  JsonObject *other = NULL;
  JsonObject *recording;

  start_capture (f, TRUE);
  run_session (f);
  text = read_file (f->path);
  assert_secrets_gone (f, text);
  for (guint i = 0; i < G_N_ELEMENTS (real); i++)
    assert_nowhere (text, real[i]);

  lines = read_lines (f->path);
  /* The history: the answered call is the caller's, the busy one the other's */
  rows = result_array (find_line (lines, "CallHistory.get", 0), "callHistory", &roots[3]);
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);

      if (json_object_get_int_member (row, "STATUS") == KC_SIM_CDR_ANSWERED)
        cdr = row;
      else if (json_object_get_int_member (row, "STATUS") == KC_SIM_CDR_BUSY)
        other = row;
      if (g_strcmp0 (json_object_get_string_member (row, "ID"), "old") == 0)
        /* Times stay, so that the capture replays */
        g_assert_cmpint (json_object_get_int_member (row, "TIMESTAMP"), ==, FIRST_TS);
    }
  g_assert_nonnull (cdr);
  g_assert_nonnull (other);
  fake_caller = json_object_get_string_member (cdr, "FROM_NUM");
  fake_operator = json_object_get_string_member (cdr, "TO_NUM");
  fake_other = json_object_get_string_member (other, "FROM_NUM");
  fake_other_operator = json_object_get_string_member (other, "TO_NUM");
  assert_same_shape (fake_caller, CALLER);
  assert_same_shape (fake_operator, OPERATOR);
  assert_same_shape (fake_other, OTHER_CALLER);
  assert_same_shape (fake_other_operator, OTHER_OPERATOR);
  /* Two numbers never share a fake */
  g_assert_cmpstr (fake_caller, !=, fake_other);
  g_assert_cmpstr (fake_operator, !=, fake_other_operator);

  /* The same calls in three polls: the same fakes each time */
  for (guint poll = 0; poll < 3; poll++)
    {
      rows = result_array (find_line (lines, "Status.getCalls", poll), "calls", &roots[poll]);
      g_assert_cmpuint (json_array_get_length (rows), >=, 2);
      for (guint i = 0; i < json_array_get_length (rows); i++)
        {
          JsonObject *row = json_array_get_object_element (rows, i);
          const char *from = row_number (row, "FROM");

          if (g_strcmp0 (from, fake_caller) == 0)
            g_assert_cmpstr (row_number (row, "TO"), ==, fake_operator);
          else
            {
              g_assert_cmpstr (from, ==, fake_other);
              g_assert_cmpstr (row_number (row, "TO"), ==, fake_other_operator);
            }
        }
    }

  /* The recordings name the same fakes */
  rows = result_array (find_line (lines, "Recordings.get", 0), "recordingList", &roots[4]);
  recording = json_array_get_object_element (rows, 0);
  g_assert_cmpstr (json_object_get_string_member (recording, "CALLER_ID"), ==, fake_caller);
  g_assert_cmpstr (json_object_get_string_member (recording, "EXTENSION"), ==, fake_operator);
  /* The caller's number inside the file name, the same fake */
  g_assert_nonnull (strstr (json_object_get_string_member (recording, "NAME"), fake_caller + 1));

  for (guint i = 0; i < G_N_ELEMENTS (roots); i++)
    g_clear_pointer (&roots[i], json_node_unref);
}

/* --- Failed exchanges --- */

static void
test_failures_recorded (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr (GPtrArray) lines = NULL;
  g_autoptr (GPtrArray) calls = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *line;

  start_capture (f, FALSE);
  assert_calls (f->client, 0);
  kc_sim_server_inject_fault (f->sim, KC_SIM_FAULT_HTTP_500, 1);
  calls = get_calls (f->client, &error);
  g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_HTTP);
  g_clear_error (&error);
  kc_sim_server_inject_fault (f->sim, KC_SIM_FAULT_DROP, 1);
  calls = get_calls (f->client, &error);
  g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_TRANSPORT);
  assert_calls (f->client, 0);

  lines = read_lines (f->path);
  g_assert_cmpuint (lines->len, ==, 5);
  /* An error page is kept with its status, as the PBX sent it */
  line = g_ptr_array_index (lines, 2);
  g_assert_cmpint (json_object_get_int_member (line, "status"), ==, 500);
  g_assert_false (json_object_has_member (line, "error"));
  g_assert_false (JSON_NODE_HOLDS_NULL (json_object_get_member (line, "response")));
  /* No answer at all: status 0 and why */
  line = g_ptr_array_index (lines, 3);
  g_assert_cmpint (json_object_get_int_member (line, "status"), ==, 0);
  g_assert_nonnull (strstr (json_object_get_string_member (line, "error"), "127.0.0.1"));
  line = g_ptr_array_index (lines, 4);
  g_assert_cmpint (json_object_get_int_member (line, "status"), ==, 200);
}

/* A capture that cannot be written stops, says so once, and the client
 * goes on as if there were none */
static void
test_write_error_stops_capture (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KcKerioCapture) capture = kc_kerio_capture_new (f->path, FALSE, &error);
  struct rlimit saved;
  struct rlimit limit = { 0 };
  void (*saved_handler) (int);

  g_assert_no_error (error);
  kc_kerio_client_set_capture (f->client, capture);
  assert_calls (f->client, 0);

  /* A full disk: writes past the file's present size fail with EFBIG */
  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  saved_handler = signal (SIGXFSZ, SIG_IGN);
  limit.rlim_cur = 1;
  limit.rlim_max = saved.rlim_max;
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);

  g_test_expect_message ("kc-kerio", G_LOG_LEVEL_WARNING, "The capture to *stopped*");
  for (guint i = 0; i < 3; i++)
    assert_calls (f->client, 0);
  g_test_assert_expected_messages ();
  g_assert_false (kc_kerio_capture_is_active (capture));

  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  signal (SIGXFSZ, saved_handler);
  assert_calls (f->client, 0);
}

/* --- The file itself --- */

static void
assert_refused (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KcKerioCapture) capture = kc_kerio_capture_new (path, FALSE, &error);

  g_assert_null (capture);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, path));
}

static void
test_file_safety (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *target = g_build_filename (f->dir, "elsewhere", NULL);
  g_autofree char *link = g_build_filename (f->dir, "link.jsonl", NULL);
  g_autofree char *fifo = g_build_filename (f->dir, "fifo", NULL);
  g_autofree char *missing = g_build_filename (f->dir, "no-such-dir", "x.jsonl", NULL);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (KcKerioCapture) capture = NULL;
  struct stat st;

  /* Not through a link planted where the capture is expected */
  g_assert_true (g_file_set_contents (target, "", 0, NULL));
  g_assert_cmpint (symlink (target, link), ==, 0);
  assert_refused (link);
  g_assert_cmpint (g_stat (target, &st), ==, 0);
  g_assert_cmpint (st.st_size, ==, 0);
  /* Nor into a folder, a pipe that would hang the start, or nowhere */
  assert_refused (f->dir);
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  assert_refused (fifo);
  assert_refused (missing);

  /* A file of ours is appended to, and made private */
  g_assert_true (g_file_set_contents (f->path, "{\"earlier\":1}\n", -1, NULL));
  g_assert_cmpint (g_chmod (f->path, 0644), ==, 0);
  capture = kc_kerio_capture_new (f->path, FALSE, &error);
  g_assert_no_error (error);
  kc_kerio_client_set_capture (f->client, capture);
  assert_calls (f->client, 0);
  text = read_file (f->path);
  g_assert_true (g_str_has_prefix (text, "{\"earlier\":1}\n{\"time\":"));
  g_assert_cmpint (g_stat (f->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
}

/* --- The scrubber on answers written by hand --- */

static char *
scrub (KcKerioScrubber *scrubber,
       const char      *body)
{
  return kc_kerio_scrubber_scrub_body (scrubber, body, strlen (body));
}

static void
assert_scrubbed (KcKerioScrubber *scrubber,
                 const char      *body,
                 const char      *expected)
{
  g_autofree char *scrubbed = scrub (scrubber, body);

  g_assert_cmpstr (scrubbed, ==, expected);
}

static void
test_scrub_secrets (void)
{
  g_autoptr (KcKerioScrubber) scrubber = kc_kerio_scrubber_new (FALSE);
  g_autofree char *cookie = NULL;

  /* Everything but the secret stays byte for byte */
  assert_scrubbed (scrubber, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"token\":\"abc\"}}",
                   "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"token\":\"<redacted>\"}}");
  assert_scrubbed (scrubber, "{ \"result\" : { \"Token\" : \"a\\\"b\" , \"n\": 1.50e0 } }",
                   "{ \"result\" : { \"Token\" : \"<redacted>\" , \"n\": 1.50e0 } }");
  assert_scrubbed (scrubber, "{\"userName\":\"admin\",\"password\":\"pw\"}",
                   "{\"userName\":\"admin\",\"password\":\"<redacted>\"}");
  /* Cut off inside the token */
  assert_scrubbed (scrubber, "{\"result\":{\"token\":\"abc12", "{\"result\":{\"token\":\"<redacted>");
  /* Not a string: nothing to hide */
  assert_scrubbed (scrubber, "{\"token\":null}", "{\"token\":null}");
  /* Not anonymizing: numbers stay */
  assert_scrubbed (scrubber, "{\"NUMBER\":\"" CALLER "\"}", "{\"NUMBER\":\"" CALLER "\"}");
  assert_scrubbed (scrubber, "<html>998901234567</html>", "<html>998901234567</html>");

  cookie = kc_kerio_scrub_set_cookie ("SESSION_OPERATOR_WEBADMIN=3f2a; path=/admin/; secure; "
                                      "HttpOnly");
  g_assert_cmpstr (cookie, ==, "SESSION_OPERATOR_WEBADMIN=<redacted>; path=/admin/; secure; "
                               "HttpOnly");
  g_clear_pointer (&cookie, g_free);
  cookie = kc_kerio_scrub_set_cookie ("bare");
  g_assert_cmpstr (cookie, ==, "<redacted>");
}

static void
test_scrub_anonymize (void)
{
  g_autoptr (KcKerioScrubber) scrubber = kc_kerio_scrubber_new (TRUE);
  g_autofree char *first = NULL;
  g_autofree char *again = NULL;
  g_autofree char *html = NULL;
  g_autofree char *cdr = NULL;
  g_autofree char *query = NULL;
  g_autofree char *names = NULL;
  g_autofree char *app = NULL;

  /* A field-dialect row: the numbers go, the id, status and duration stay */
  first = scrub (scrubber, "{\"calls\":[{\"id\":\"1765123456.42\",\"FROM\":{\"NUMBER\":\"+998901234567\"},"
                           "\"TO\":{\"NUMBER\":\"1001\"},\"STATUS\":\"0\",\"CALL_DURATION\":3}]}");
  g_assert_cmpstr (first, ==,
                   "{\"calls\":[{\"id\":\"1765123456.42\",\"FROM\":{\"NUMBER\":\"+555000000001\"},"
                   "\"TO\":{\"NUMBER\":\"9999\"},\"STATUS\":\"0\",\"CALL_DURATION\":3}]}");
  again = scrub (scrubber, "{\"calls\":[{\"ID\":\"x\",\"from\":{\"number\":\"1001\"},"
                           "\"to\":{\"number\":\"+998 90 123-45-67\"}}]}");
  g_assert_cmpstr (again, ==, "{\"calls\":[{\"ID\":\"x\",\"from\":{\"number\":\"9999\"},"
                              "\"to\":{\"number\":\"+555 00 000-00-01\"}}]}");

  /* A CDR: the number as a JSON number too, the time kept */
  cdr = scrub (scrubber, "{\"callHistory\":[{\"TIMESTAMP\":1735732800,\"FROM_NUM\":998901234567,"
                         "\"TO_NUM\":\"1002\",\"FROM_NAME\":\"Aziz Karimov\",\"STATUS\":4}],"
                         "\"totalItems\":1}");
  g_assert_cmpstr (cdr, ==, "{\"callHistory\":[{\"TIMESTAMP\":1735732800,\"FROM_NUM\":555000000001,"
                            "\"TO_NUM\":\"9998\",\"FROM_NAME\":\"Person 1\",\"STATUS\":4}],"
                            "\"totalItems\":1}");

  /* Names: the same person the same fake, whatever the case; a number in a
   * name field is a number */
  names = scrub (scrubber, "[{\"NAME\":\"AZIZ KARIMOV \"},{\"NAME\":\"Nodira\"},{\"NAME\":\"1001\"},"
                           "{\"NAME\":\"\"}]");
  g_assert_cmpstr (names, ==, "[{\"NAME\":\"Person 1\"},{\"NAME\":\"Person 2\"},{\"NAME\":\"9999\"},"
                              "{\"NAME\":\"\"}]");

  /* Our own query: a time condition stays, a search loses its number */
  query = scrub (scrubber, "{\"query\":{\"conditions\":[{\"fieldName\":\"TIMESTAMP\","
                           "\"comparator\":\"GreaterEq\",\"value\":\"1735732800\"},"
                           "{\"fieldName\":\"SEARCH\",\"comparator\":\"Like\","
                           "\"value\":\"%998901234567%\"}]}}");
  g_assert_cmpstr (query, ==, "{\"query\":{\"conditions\":[{\"fieldName\":\"TIMESTAMP\","
                              "\"comparator\":\"GreaterEq\",\"value\":\"1735732800\"},"
                              "{\"fieldName\":\"SEARCH\",\"comparator\":\"Like\","
                              "\"value\":\"%555000000001%\"}]}}");

  /* The program's own name is no one's */
  app = scrub (scrubber, "{\"userName\":\"ivanov\",\"application\":{\"name\":\"Kerio CTI\"}}");
  g_assert_cmpstr (app, ==, "{\"userName\":\"Person 3\",\"application\":{\"name\":\"Kerio CTI\"}}");

  /* Not JSON: runs of 7+ digits, with the same fakes */
  html = scrub (scrubber, "<html>998901234567 called 1001 at 20261207</html>");
  g_assert_cmpstr (html, ==, "<html>555000000001 called 1001 at 55500001</html>");
}

/* --- kerio-cti --capture ---------------------------------------------- */

static void
test_cli_bad_capture (void)
{
  g_autofree char *home = kc_test_make_tmpdir ();
  const char *const cases[][3] = {
    { "--headless", "--capture=/nonexistent-dir/x", NULL },
    { "--headless", NULL, "KERIO_CAPTURE=/nonexistent-dir/x" },
    { "--headless", NULL, "KERIO_CAPTURE_ANONYMIZE=maybe" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *const args[] = { cases[i][0], cases[i][1], NULL };
      const char *const env[] = { cases[i][2], NULL };
      KcTestProc *proc = kc_test_proc_spawn (home, "https://127.0.0.1:1", args, env);
      const char *said;

      g_assert_cmpint (kc_test_proc_wait_exit (proc), ==, 2);
      g_assert_cmpuint (proc->err->len, ==, 1);
      said = g_ptr_array_index (proc->err, 0);
      g_assert_nonnull (strstr (said, i < 2 ? "/nonexistent-dir/x" : "maybe"));
      g_assert_cmpuint (proc->out->len, ==, 0);
      kc_test_proc_free (proc);
    }
  kc_test_rm_rf (home);
}

/* The option, the variable and the engine wired: kerio-cti --headless
 * writes an anonymized capture of its polls */
static void
test_cli_capture (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *home = kc_test_make_tmpdir ();
  g_autofree char *option = g_strconcat ("--capture=", f->path, NULL);
  g_autofree char *url = kc_sim_server_get_endpoint_url (f->sim);
  g_autofree char *password = g_strdup_printf ("KERIO_API_PASSWORD=%s", PASSWORD);
  const char *const args[] = { "--headless", option, "--capture-anonymize", NULL };
  const char *const env[] = { password, NULL };
  g_autoptr (GPtrArray) lines = NULL;
  g_autofree char *text = NULL;
  KcTestProc *proc;
  struct stat st;

  kc_sim_server_add_call (f->sim, CALLER, CALLER_NAME, OPERATOR, OPERATOR_NAME);
  proc = kc_test_proc_spawn (home, url, args, env);
  /* Polls never overlap: when the fourth is asked, the third's answer is
   * in the file */
  KC_TEST_WAIT_UNTIL (kc_sim_server_get_request_count (f->sim, "Status.getCalls") >= 4, 30);
  g_subprocess_send_signal (proc->process, SIGTERM);
  g_assert_cmpint (kc_test_proc_wait_exit (proc), ==, 0);
  g_assert_true (kc_test_lines_have (proc->err, "Capturing the exchanges with the PBX in"));
  kc_test_proc_free (proc);

  g_assert_cmpint (g_stat (f->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  lines = read_lines (f->path);
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (lines, 0), "method"), ==,
                   "Session.login");
  g_assert_cmpuint (count_lines (lines, "Status.getCalls"), >=, 3);
  text = read_file (f->path);
  assert_nowhere (text, PASSWORD);
  assert_nowhere (text, CALLER + 1);
  assert_nowhere (text, CALLER_NAME);
  kc_test_rm_rf (home);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/capture/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("session", test_session);
  ADD ("anonymized-session", test_anonymized_session);
  ADD ("failures", test_failures_recorded);
  ADD ("write-error", test_write_error_stops_capture);
  ADD ("file-safety", test_file_safety);
  g_test_add_func ("/capture/scrub/secrets", test_scrub_secrets);
  g_test_add_func ("/capture/scrub/anonymize", test_scrub_anonymize);
  g_test_add_func ("/capture/cli/bad-capture", test_cli_bad_capture);
  ADD ("cli/capture", test_cli_capture);

  return g_test_run ();
}
