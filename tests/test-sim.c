/* test-sim.c: the Kerio Operator simulator, driven over HTTP with a bare
 * SoupSession so that its wire behaviour is checked independently of the
 * project's client.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <signal.h>
#include <string.h>

#include <libsoup/soup.h>

#include "kc-test-util.h"
#include "sim/kc-sim-server.h"
#include "sim/kc-sim-wav.h"

#define T0 G_GINT64_CONSTANT (1735689600) /* 2025-01-01 00:00:00 UTC */
#define MOBILE "+998901234567"

typedef struct
{
  KcSimServer *sim;
  SoupSession *session;
  char        *url;
  char        *token;
  char        *cookie; /* "SESSION_OPERATOR_WEBADMIN=..." as the client sends it back */
  int          next_id;
} Fixture;

typedef struct
{
  gboolean  done;
  GBytes   *body;
  GError   *error;
} Exchange;

/* --- HTTP */

static void
exchange_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Exchange *ex = user_data;

  ex->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &ex->error);
  ex->done = TRUE;
}

static void
exchange_start (SoupSession *session,
                SoupMessage *msg,
                Exchange    *ex)
{
  memset (ex, 0, sizeof *ex);
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, exchange_done, ex);
}

/* The server runs on this thread's main context, so requests are async */
static GBytes *
exchange (SoupSession  *session,
          SoupMessage  *msg,
          GError      **error)
{
  Exchange ex;

  exchange_start (session, msg, &ex);
  KC_TEST_WAIT_UNTIL (ex.done, 30);
  /* Let the session put the connection back in its pool, as an application
   * returning to its main loop between polls would */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  if (ex.error)
    g_propagate_error (error, ex.error);
  return ex.body;
}

static gboolean
accept_certificate (SoupMessage          *msg,
                    GTlsCertificate      *certificate,
                    GTlsCertificateFlags  errors,
                    gpointer              user_data)
{
  /* the appliance's certificate is self-signed, and so is the test's */
  return TRUE;
}

static SoupMessage *
post_message (Fixture    *fx,
              const char *url,
              const char *body)
{
  SoupMessage *msg = soup_message_new (SOUP_METHOD_POST, url);
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);
  g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));

  /* Without this libsoup opens a fresh connection for every POST */
  soup_message_add_flags (msg, SOUP_MESSAGE_IDEMPOTENT);
  g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_certificate), NULL);
  soup_message_set_request_body_from_bytes (msg, "application/json-rpc; charset=UTF-8", bytes);
  soup_message_headers_append (headers, "Accept", "application/json-rpc");
  if (fx->token)
    soup_message_headers_append (headers, "X-Token", fx->token);
  if (fx->cookie)
    soup_message_headers_append (headers, "Cookie", fx->cookie);
  return msg;
}

static char *
rpc_body (Fixture    *fx,
          const char *method,
          const char *params)
{
  return g_strdup_printf ("{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"%s\",\"params\":%s}",
                          ++fx->next_id, method, params ? params : "{}");
}

static JsonNode *
parse_json (GBytes *body)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  gsize size;
  const char *data = g_bytes_get_data (body, &size);

  if (size == 0 || !json_parser_load_from_data (parser, data, size, NULL))
    return NULL;
  return json_node_copy (json_parser_get_root (parser));
}

/* The whole JSON-RPC answer; any HTTP status but 200 fails the test */
static JsonNode *
rpc_full (Fixture     *fx,
          const char  *method,
          const char  *params,
          SoupMessage **out_msg)
{
  g_autofree char *body = rpc_body (fx, method, params);
  g_autoptr (SoupMessage) msg = post_message (fx, fx->url, body);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) reply = exchange (fx->session, msg, &error);
  JsonNode *root;

  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_OK);
  root = parse_json (reply);
  g_assert_nonnull (root);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  if (out_msg)
    *out_msg = g_steal_pointer (&msg);
  return root;
}

static JsonNode *
rpc (Fixture    *fx,
     const char *method,
     const char *params)
{
  return rpc_full (fx, method, params, NULL);
}

static JsonObject *
result_of (JsonNode *root)
{
  JsonObject *object = json_node_get_object (root);

  if (json_object_has_member (object, "error"))
    g_error ("Unexpected JSON-RPC error: %s", json_to_string (root, FALSE));
  return json_object_get_object_member (object, "result");
}

static gint64
error_code_of (JsonNode *root)
{
  JsonObject *object = json_node_get_object (root);

  g_assert_false (json_object_has_member (object, "result"));
  return json_object_get_int_member (json_object_get_object_member (object, "error"), "code");
}

static void
login (Fixture *fx)
{
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (JsonNode) root = NULL;
  const char *set_cookie;

  g_clear_pointer (&fx->token, g_free);
  g_clear_pointer (&fx->cookie, g_free);
  root = rpc_full (fx, "Session.login",
                   "{\"userName\":\"admin\",\"password\":\"demo\",\"application\":"
                   "{\"name\":\"test-sim\",\"vendor\":\"Kerio CTI\",\"version\":\"1\"}}",
                   &msg);
  fx->token = g_strdup (json_object_get_string_member (result_of (root), "token"));
  set_cookie = soup_message_headers_get_one (soup_message_get_response_headers (msg), "Set-Cookie");
  g_assert_nonnull (set_cookie);
  fx->cookie = g_strndup (set_cookie, strcspn (set_cookie, ";"));
}

static char *
server_url (Fixture    *fx,
            const char *path)
{
  return g_strdup_printf ("http://127.0.0.1:%u%s", kc_sim_server_get_port (fx->sim), path);
}

static void
fixture_set_up (Fixture       *fx,
                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;

  g_autoptr (GTlsCertificate) certificate = data ? kc_test_load_certificate () : NULL;

  fx->sim = kc_sim_server_new ();
  kc_sim_server_listen (fx->sim, 0, certificate, &error);
  g_assert_no_error (error);
  fx->url = kc_sim_server_get_endpoint_url (fx->sim);
  fx->session = soup_session_new ();
}

static void
fixture_tear_down (Fixture       *fx,
                   gconstpointer  data)
{
  g_clear_object (&fx->session);
  g_clear_object (&fx->sim);
  g_clear_pointer (&fx->url, g_free);
  g_clear_pointer (&fx->token, g_free);
  g_clear_pointer (&fx->cookie, g_free);
}

/* --- Helpers on results */

static JsonArray *
calls_of (JsonNode *root)
{
  return json_object_get_array_member (result_of (root), "calls");
}

/* "ID" in CDRs, recordings and the SDK's live calls; "id" in the field's */
static const char *
row_id (JsonObject *row)
{
  if (json_object_has_member (row, "id"))
    return json_object_get_string_member (row, "id");
  return json_object_get_string_member_with_default (row, "ID", NULL);
}

static JsonObject *
find_by_id (JsonArray  *rows,
            const char *id)
{
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);

      if (g_strcmp0 (row_id (row), id) == 0)
        return row;
    }
  return NULL;
}

static gint64
answered_duration (Fixture    *fx,
                   const char *id)
{
  g_autoptr (JsonNode) root = rpc (fx, "Status.getCalls", NULL);
  JsonObject *call = find_by_id (calls_of (root), id);

  g_assert_nonnull (call);
  return json_object_get_int_member (call, "ANSWERED_DURATION");
}

static const char *
party_number (JsonObject *call,
              const char *member)
{
  return json_object_get_string_member (json_object_get_object_member (call, member), "NUMBER");
}

static JsonArray *
current_calls (Fixture   *fx,
               JsonNode **root)
{
  g_clear_pointer (root, json_node_unref);
  *root = rpc (fx, "Status.getCalls", NULL);
  return calls_of (*root);
}

/* The serial of an Asterisk unique id, "<epoch>.<serial>" */
static guint64
id_serial (const char *id)
{
  const char *dot = strchr (id, '.');
  guint64 serial;

  g_assert_nonnull (dot);
  g_assert_true (g_ascii_string_to_unsigned (dot + 1, 10, 0, G_MAXUINT64, &serial, NULL));
  return serial;
}

static gint64
id_epoch (const char *id)
{
  gint64 epoch;
  g_autofree char *head = g_strndup (id, strcspn (id, "."));

  g_assert_true (g_ascii_string_to_signed (head, 10, 0, G_MAXINT64, &epoch, NULL));
  return epoch;
}

static gint64
row_int (JsonArray  *rows,
         guint       i,
         const char *member)
{
  return json_object_get_int_member (json_array_get_object_element (rows, i), member);
}

static JsonNode *
history (Fixture    *fx,
         const char *method,
         const char *query)
{
  g_autofree char *params = g_strdup_printf ("{\"query\":%s}", query);

  return rpc (fx, method, params);
}

/* --- Tests */

static void
test_login (Fixture       *fx,
            gconstpointer  data)
{
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (JsonNode) wrong = NULL;
  g_autoptr (JsonNode) right = NULL;
  g_autoptr (JsonNode) calls = NULL;
  g_autoptr (SoupSession) second = soup_session_new ();
  g_autoptr (GBytes) reply = NULL;
  g_autofree char *body = NULL;
  g_autoptr (SoupMessage) other = NULL;
  const char *set_cookie;

  wrong = rpc_full (fx, "Session.login", "{\"userName\":\"admin\",\"password\":\"guess\"}", &msg);
  g_assert_cmpint (error_code_of (wrong), ==, 1000);
  g_assert_null (soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                               "Set-Cookie"));
  g_clear_object (&msg);

  right = rpc_full (fx, "Session.login", "{\"userName\":\"admin\",\"password\":\"demo\"}", &msg);
  g_assert_cmpstr (json_object_get_string_member (result_of (right), "token"), !=, "");
  set_cookie = soup_message_headers_get_one (soup_message_get_response_headers (msg), "Set-Cookie");
  g_assert_true (g_str_has_prefix (set_cookie, "SESSION_OPERATOR_WEBADMIN="));
  g_assert_nonnull (strstr (set_cookie, "; path=/admin/"));
  g_assert_nonnull (strstr (set_cookie, "HttpOnly"));
  /* a secure cookie would never come back over plain HTTP */
  g_assert_null (strstr (set_cookie, "secure"));

  fx->token = g_strdup (json_object_get_string_member (result_of (right), "token"));
  fx->cookie = g_strndup (set_cookie, strcspn (set_cookie, ";"));
  calls = rpc (fx, "Status.getCalls", NULL);
  g_assert_cmpuint (json_array_get_length (calls_of (calls)), ==, 0);

  g_assert_cmpuint (kc_sim_server_get_request_count (fx->sim, "Session.login"), ==, 2);
  g_assert_cmpuint (kc_sim_server_get_request_count (fx->sim, "Status.getCalls"), ==, 1);
  /* three requests, one kept-alive connection */
  g_assert_cmpuint (kc_sim_server_get_connection_count (fx->sim), ==, 1);

  body = rpc_body (fx, "Status.getCalls", NULL);
  other = post_message (fx, fx->url, body);
  reply = exchange (second, other, NULL);
  g_assert_cmpuint (soup_message_get_status (other), ==, SOUP_STATUS_OK);
  g_assert_cmpuint (kc_sim_server_get_connection_count (fx->sim), ==, 2);
}

static void
test_unauthenticated (Fixture       *fx,
                      gconstpointer  data)
{
  g_autoptr (JsonNode) before = NULL;
  g_autoptr (JsonNode) no_token = NULL;
  g_autoptr (JsonNode) no_cookie = NULL;
  g_autoptr (JsonNode) bad_token = NULL;
  g_autoptr (JsonNode) forged = NULL;
  g_autoptr (JsonNode) good = NULL;
  g_autoptr (JsonNode) unknown = NULL;
  g_autoptr (JsonNode) logout = NULL;
  g_autoptr (JsonNode) after_logout = NULL;
  g_autoptr (JsonNode) expired = NULL;
  char *token, *cookie;

  before = rpc (fx, "Status.getCalls", NULL);
  g_assert_cmpint (error_code_of (before), ==, -32001);
  g_assert_cmpuint (kc_sim_server_get_unauthenticated_count (fx->sim), ==, 0);

  login (fx);
  token = g_steal_pointer (&fx->token);
  no_token = rpc (fx, "Status.getCalls", NULL);
  g_assert_cmpint (error_code_of (no_token), ==, -32001);
  g_assert_cmpuint (kc_sim_server_get_unauthenticated_count (fx->sim), ==, 1);

  fx->token = token;
  cookie = g_steal_pointer (&fx->cookie);
  no_cookie = rpc (fx, "Status.getCalls", NULL);
  g_assert_cmpint (error_code_of (no_cookie), ==, -32001);
  g_assert_cmpuint (kc_sim_server_get_unauthenticated_count (fx->sim), ==, 2);

  fx->cookie = cookie;
  fx->token = g_strdup ("not-a-token");
  bad_token = rpc (fx, "Status.getCalls", NULL);
  g_assert_cmpint (error_code_of (bad_token), ==, -32001);
  g_assert_cmpuint (kc_sim_server_get_unauthenticated_count (fx->sim), ==, 3);

  g_free (fx->token);
  fx->token = token;
  fx->cookie = g_strdup ("SESSION_OPERATOR_WEBADMIN=forged");
  forged = rpc (fx, "Status.getCalls", NULL);
  g_assert_cmpint (error_code_of (forged), ==, -32001);
  g_assert_cmpuint (kc_sim_server_get_unauthenticated_count (fx->sim), ==, 4);

  g_free (fx->cookie);
  fx->cookie = cookie;
  good = rpc (fx, "Status.getCalls", NULL);
  result_of (good);
  unknown = rpc (fx, "Status.getEverything", NULL);
  g_assert_cmpint (error_code_of (unknown), ==, -32601);
  g_assert_cmpuint (kc_sim_server_get_unauthenticated_count (fx->sim), ==, 4);

  logout = rpc (fx, "Session.logout", NULL);
  result_of (logout);
  after_logout = rpc (fx, "Status.getCalls", NULL);
  g_assert_cmpint (error_code_of (after_logout), ==, -32001);
  g_assert_cmpuint (kc_sim_server_get_unauthenticated_count (fx->sim), ==, 5);

  login (fx);
  kc_sim_server_expire_sessions (fx->sim);
  expired = rpc (fx, "Status.getCalls", NULL);
  g_assert_cmpint (error_code_of (expired), ==, -32001);
  g_assert_cmpuint (kc_sim_server_get_unauthenticated_count (fx->sim), ==, 6);
}

/* The shape public integrations read from real appliances: a row per
 * channel, lower-case id, STATUS "0" / "1" strings, no ANSWERED_DURATION,
 * no NAME */
static void
test_field_rows (Fixture       *fx,
                 gconstpointer  data)
{
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *id = NULL;
  g_autofree char *internal = NULL;
  g_autofree char *old_id = NULL;
  g_autofree char *second_id = NULL;
  JsonObject *first, *second, *row;
  JsonArray *rows;
  gint64 added;

  login (fx);
  added = g_get_monotonic_time ();
  id = g_strdup (kc_sim_server_add_call (fx->sim, MOBILE, "Aziz Karimov", "1001", "Nodira"));
  internal = g_strdup (kc_sim_server_add_call (fx->sim, "1002", NULL, "1003", NULL));
  g_assert_cmpuint (kc_sim_server_get_n_active_calls (fx->sim), ==, 2);

  /* The callee's channel comes 400 ms after the caller's (unless this
   * machine was too busy to ask in time) */
  rows = current_calls (fx, &root);
  if (g_get_monotonic_time () - added < 300 * 1000)
    g_assert_cmpuint (json_array_get_length (rows), ==, 2);
  KC_TEST_WAIT_UNTIL (json_array_get_length (current_calls (fx, &root)) == 3, 5);
  rows = calls_of (root);
  g_assert_cmpint (json_object_get_int_member (result_of (root), "totalItems"), ==, 3);

  first = find_by_id (rows, id);
  g_assert_nonnull (first);
  g_assert_false (json_object_has_member (first, "ID"));
  g_assert_false (json_object_has_member (first, "ANSWERED_DURATION"));
  g_assert_false (json_object_has_member (json_object_get_object_member (first, "FROM"), "NAME"));
  g_assert_false (json_object_has_member (json_object_get_object_member (first, "TO"), "NAME"));
  g_assert_cmpstr (json_object_get_string_member (first, "STATUS"), ==, "0");
  g_assert_cmpstr (party_number (first, "FROM"), ==, MOBILE);
  g_assert_cmpstr (party_number (first, "TO"), ==, "1001");

  /* The other leg of the external call: the same numbers, the next serial,
   * the same or the next second */
  second = NULL;
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      row = json_array_get_object_element (rows, i);
      if (strcmp (row_id (row), id) != 0 && strcmp (party_number (row, "FROM"), MOBILE) == 0)
        second = row;
    }
  g_assert_nonnull (second);
  second_id = g_strdup (row_id (second));
  g_assert_cmpstr (party_number (second, "TO"), ==, "1001");
  g_assert_cmpstr (json_object_get_string_member (second, "STATUS"), ==, "0");
  g_assert_cmpuint (id_serial (second_id), ==, id_serial (id) + 1);
  g_assert_cmpint (id_epoch (second_id) - id_epoch (id), >=, 0);
  g_assert_cmpint (id_epoch (second_id) - id_epoch (id), <=, 1);
  g_assert_cmpint (json_object_get_int_member (second, "CALL_DURATION"), <=,
                   json_object_get_int_member (first, "CALL_DURATION"));

  /* Both ends inside: one row */
  row = find_by_id (rows, internal);
  g_assert_nonnull (row);
  g_assert_cmpstr (party_number (row, "FROM"), ==, "1002");
  g_assert_cmpstr (party_number (row, "TO"), ==, "1003");

  g_assert_true (kc_sim_server_answer_call (fx->sim, id));
  rows = current_calls (fx, &root);
  g_assert_cmpstr (json_object_get_string_member (find_by_id (rows, id), "STATUS"), ==, "1");
  g_assert_cmpstr (json_object_get_string_member (find_by_id (rows, second_id), "STATUS"), ==, "1");
  g_assert_cmpstr (json_object_get_string_member (find_by_id (rows, internal), "STATUS"), ==, "0");

  /* Both legs go with the call */
  g_assert_true (kc_sim_server_end_call (fx->sim, id, KC_SIM_CDR_NO_ANSWER));
  g_assert_false (kc_sim_server_answer_call (fx->sim, id));
  rows = current_calls (fx, &root);
  g_assert_cmpuint (json_array_get_length (rows), ==, 1);
  g_assert_cmpstr (row_id (json_array_get_object_element (rows, 0)), ==, internal);

  /* A call older than 400 ms shows both legs at once, each counted from
   * its own creation */
  old_id = g_strdup (kc_sim_server_add_call_started (fx->sim, "1004", NULL, "+998971112233", NULL,
                                                     30));
  rows = current_calls (fx, &root);
  g_assert_cmpuint (json_array_get_length (rows), ==, 3);
  g_assert_cmpint (json_object_get_int_member (find_by_id (rows, old_id), "CALL_DURATION"), >=, 30);

  kc_sim_server_set_numeric_status (fx->sim, TRUE);
  kc_sim_server_set_omit_call_ids (fx->sim, TRUE);
  kc_sim_server_answer_call (fx->sim, old_id);
  rows = current_calls (fx, &root);
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      row = json_array_get_object_element (rows, i);
      g_assert_false (json_object_has_member (row, "id"));
      g_assert_false (json_object_has_member (row, "ID"));
      g_assert_cmpint (json_object_get_int_member (row, "STATUS"), ==,
                       strcmp (party_number (row, "FROM"), "1004") == 0 ? 1 : 0);
    }

  kc_sim_server_set_numbers_as_strings (fx->sim, TRUE);
  rows = current_calls (fx, &root);
  g_assert_cmpstr (json_object_get_string_member (result_of (root), "totalItems"), ==, "3");
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      row = json_array_get_object_element (rows, i);
      if (strcmp (party_number (row, "FROM"), "1004") == 0)
        g_assert_cmpstr (json_object_get_string_member (row, "STATUS"), ==, "1");
    }
}

/* The shape Kerio's PHP SDK sample implies: a row per call with ID, NAME,
 * ANSWERED_DURATION and STATUS words */
static void
test_sdk_rows (Fixture       *fx,
               gconstpointer  data)
{
  g_autoptr (JsonNode) ringing = NULL;
  g_autoptr (JsonNode) answered = NULL;
  g_autoptr (JsonNode) ended = NULL;
  g_autoptr (JsonNode) numeric = NULL;
  g_autoptr (JsonNode) strings = NULL;
  g_autofree char *id = NULL;
  g_autofree char *old_id = NULL;
  JsonObject *call;

  kc_sim_server_set_dialect (fx->sim, KC_SIM_DIALECT_SDK);
  login (fx);
  id = g_strdup (kc_sim_server_add_call (fx->sim, MOBILE, "Aziz Karimov", "1001", "Nodira"));
  old_id = g_strdup (kc_sim_server_add_call_started (fx->sim, "1002", NULL, "+998971112233", NULL,
                                                     30));
  g_assert_cmpstr (id, !=, old_id);
  g_assert_cmpuint (kc_sim_server_get_n_active_calls (fx->sim), ==, 2);

  /* One row per call, however long it has been up */
  kc_test_run_for (0.5);
  ringing = rpc (fx, "Status.getCalls", NULL);
  g_assert_cmpint (json_object_get_int_member (result_of (ringing), "totalItems"), ==, 2);
  g_assert_cmpuint (json_array_get_length (calls_of (ringing)), ==, 2);
  call = find_by_id (calls_of (ringing), id);
  g_assert_nonnull (call);
  g_assert_false (json_object_has_member (call, "id"));
  g_assert_cmpstr (party_number (call, "FROM"), ==, MOBILE);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (call, "FROM"),
                                                  "NAME"), ==, "Aziz Karimov");
  g_assert_cmpstr (party_number (call, "TO"), ==, "1001");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (call, "TO"),
                                                  "NAME"), ==, "Nodira");
  g_assert_cmpstr (json_object_get_string_member (call, "STATUS"), ==, "Ringing");
  g_assert_cmpint (json_object_get_int_member (call, "ANSWERED_DURATION"), ==, 0);
  call = find_by_id (calls_of (ringing), old_id);
  g_assert_cmpint (json_object_get_int_member (call, "CALL_DURATION"), >=, 30);

  g_assert_true (kc_sim_server_answer_call (fx->sim, id));
  answered = rpc (fx, "Status.getCalls", NULL);
  call = find_by_id (calls_of (answered), id);
  g_assert_cmpstr (json_object_get_string_member (call, "STATUS"), ==, "Answered");
  KC_TEST_WAIT_UNTIL (answered_duration (fx, id) > 0, 5);

  g_assert_true (kc_sim_server_end_call (fx->sim, id, KC_SIM_CDR_NO_ANSWER));
  g_assert_false (kc_sim_server_end_call (fx->sim, id, KC_SIM_CDR_NO_ANSWER));
  g_assert_false (kc_sim_server_answer_call (fx->sim, id));
  ended = rpc (fx, "Status.getCalls", NULL);
  g_assert_null (find_by_id (calls_of (ended), id));
  g_assert_cmpuint (json_array_get_length (calls_of (ended)), ==, 1);

  /* The numeric status is 0 ringing, 1 up: nothing on record reads 4 */
  kc_sim_server_set_numeric_status (fx->sim, TRUE);
  kc_sim_server_set_omit_call_ids (fx->sim, TRUE);
  numeric = rpc (fx, "Status.getCalls", NULL);
  call = json_array_get_object_element (calls_of (numeric), 0);
  g_assert_false (json_object_has_member (call, "ID"));
  g_assert_cmpint (json_object_get_int_member (call, "STATUS"), ==, 0);

  kc_sim_server_answer_call (fx->sim, old_id);
  kc_sim_server_set_numbers_as_strings (fx->sim, TRUE);
  strings = rpc (fx, "Status.getCalls", NULL);
  call = json_array_get_object_element (calls_of (strings), 0);
  g_assert_cmpstr (json_object_get_string_member (call, "STATUS"), ==, "1");
  g_assert_cmpstr (json_object_get_string_member (result_of (strings), "totalItems"), ==, "1");
  g_assert_cmpint (
    g_ascii_strtoll (json_object_get_string_member (call, "CALL_DURATION"), NULL, 10), >=, 30);
}

static void
test_end_call_cdr (Fixture       *fx,
                   gconstpointer  data)
{
  g_autoptr (JsonNode) cdrs = NULL;
  g_autoptr (JsonNode) recordings = NULL;
  g_autoptr (JsonNode) after = NULL;
  g_autofree char *incoming = NULL;
  g_autofree char *outgoing = NULL;
  g_autofree char *missed = NULL;
  g_autofree char *unrecorded = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  JsonArray *rows;
  JsonObject *row;

  login (fx);
  incoming = g_strdup (kc_sim_server_add_call_started (fx->sim, MOBILE, NULL, "1001", NULL, 60));
  outgoing = g_strdup (kc_sim_server_add_call (fx->sim, "1002", NULL, "+998935556677", NULL));
  missed = g_strdup (kc_sim_server_add_call (fx->sim, "+998945556677", NULL, "1003", NULL));
  kc_sim_server_answer_call (fx->sim, incoming);

  /* The long incoming call ends last: its record is written after the others
   * but belongs before them in time. */
  g_assert_true (kc_sim_server_end_call (fx->sim, outgoing, KC_SIM_CDR_BUSY));
  g_assert_true (kc_sim_server_end_call (fx->sim, missed, KC_SIM_CDR_NO_ANSWER));
  g_assert_true (kc_sim_server_end_call (fx->sim, incoming, KC_SIM_CDR_NO_ANSWER));
  g_assert_cmpuint (kc_sim_server_get_n_cdrs (fx->sim), ==, 3);

  cdrs = history (fx, "CallHistory.get",
                  "{\"orderBy\":[{\"columnName\":\"TIMESTAMP\",\"direction\":\"Desc\"}],"
                  "\"start\":0,\"limit\":50}");
  rows = json_object_get_array_member (result_of (cdrs), "callHistory");
  g_assert_cmpuint (json_array_get_length (rows), ==, 3);

  row = json_array_get_object_element (rows, 2);
  g_assert_cmpstr (json_object_get_string_member (row, "ID"), ==, incoming);
  g_assert_cmpint (json_object_get_int_member (row, "STATUS"), ==, KC_SIM_CDR_ANSWERED);
  g_assert_cmpstr (json_object_get_string_member (row, "FROM_NUM"), ==, MOBILE);
  g_assert_cmpstr (json_object_get_string_member (row, "TO_NUM"), ==, "1001");
  g_assert_cmpint (json_object_get_int_member (row, "CALL_DURATION"), >=, 60);
  g_assert_cmpint (json_object_get_int_member (row, "TIMESTAMP"), >=, now - 61);
  g_assert_cmpint (json_object_get_int_member (row, "TIMESTAMP"), <=, now - 59);

  row = find_by_id (rows, outgoing);
  g_assert_cmpint (json_object_get_int_member (row, "STATUS"), ==, KC_SIM_CDR_BUSY);
  g_assert_cmpint (json_object_get_int_member (row, "ANSWERED_DURATION"), ==, 0);
  g_assert_cmpstr (json_object_get_string_member (row, "FROM_NUM"), ==, "1002");
  row = find_by_id (rows, missed);
  g_assert_cmpint (json_object_get_int_member (row, "STATUS"), ==, KC_SIM_CDR_NO_ANSWER);

  /* Only the answered call was recorded, under the operator's extension */
  recordings = history (fx, "Recordings.get", "{\"start\":0,\"limit\":50}");
  rows = json_object_get_array_member (result_of (recordings), "recordingList");
  g_assert_cmpuint (json_array_get_length (rows), ==, 1);
  row = json_array_get_object_element (rows, 0);
  g_assert_cmpstr (json_object_get_string_member (row, "EXTENSION"), ==, "1001");
  g_assert_cmpstr (json_object_get_string_member (row, "CALLER_ID"), ==, MOBILE);
  g_assert_cmpint (json_object_get_int_member (row, "STARTED"), >=, now);
  g_assert_cmpint (json_object_get_int_member (row, "DURATION"), >=, 1);

  kc_sim_server_set_record_calls (fx->sim, FALSE);
  unrecorded = g_strdup (kc_sim_server_add_call (fx->sim, "1004", NULL, MOBILE, NULL));
  kc_sim_server_answer_call (fx->sim, unrecorded);
  kc_sim_server_end_call (fx->sim, unrecorded, KC_SIM_CDR_NO_ANSWER);
  after = history (fx, "Recordings.get", "{}");
  g_assert_cmpint (json_object_get_int_member (result_of (after), "totalItems"), ==, 1);
  g_assert_cmpuint (kc_sim_server_get_n_cdrs (fx->sim), ==, 4);
}

/* Reads every page of a CallHistory query, checking the order, and returns
 * the ids in the order served */
static GPtrArray *
read_all_pages (Fixture    *fx,
                const char *direction,
                const char *conditions,
                guint       expected_total)
{
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
  gint64 last = 0;

  for (;;)
    {
      g_autofree char *query = g_strdup_printf (
        "{\"orderBy\":[{\"columnName\":\"TIMESTAMP\",\"direction\":\"%s\"}],"
        "\"start\":%u,\"limit\":500,\"conditions\":%s}",
        direction, ids->len, conditions);
      g_autoptr (JsonNode) page = history (fx, "CallHistory.get", query);
      JsonArray *rows = json_object_get_array_member (result_of (page), "callHistory");

      g_assert_cmpint (json_object_get_int_member (result_of (page), "totalItems"), ==,
                       expected_total);
      if (json_array_get_length (rows) == 0)
        break;
      for (guint i = 0; i < json_array_get_length (rows); i++)
        {
          JsonObject *row = json_array_get_object_element (rows, i);
          gint64 ts = json_object_get_int_member (row, "TIMESTAMP");

          if (ids->len > 0 && strcmp (direction, "Desc") == 0)
            g_assert_cmpint (ts, <=, last);
          else if (ids->len > 0)
            g_assert_cmpint (ts, >=, last);
          last = ts;
          g_ptr_array_add (ids, g_strdup (json_object_get_string_member (row, "ID")));
        }
    }
  g_assert_cmpuint (ids->len, ==, expected_total);
  return ids;
}

static void
assert_distinct (GPtrArray *ids)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < ids->len; i++)
    g_assert_true (g_hash_table_add (seen, g_ptr_array_index (ids, i)));
}

static void
test_history_paging (Fixture       *fx,
                     gconstpointer  data)
{
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (GPtrArray) ties_asc = NULL;
  g_autoptr (GPtrArray) ties_desc = NULL;
  g_autoptr (JsonNode) first = NULL;
  g_autoptr (JsonNode) oldest = NULL;
  g_autoptr (JsonNode) recent = NULL;
  g_autoptr (JsonNode) range = NULL;
  g_autoptr (JsonNode) either = NULL;
  g_autoptr (JsonNode) not_eq = NULL;
  g_autoptr (JsonNode) everything = NULL;
  g_autoptr (JsonNode) unsupported = NULL;
  g_autoptr (JsonNode) imported = NULL;
  g_autofree char *query = NULL;
  JsonArray *rows;

  login (fx);
  kc_sim_server_set_page_cap (fx->sim, 100);
  kc_sim_server_add_generated_cdrs (fx->sim, "h", 1000, T0, 60);
  g_assert_cmpuint (kc_sim_server_get_n_cdrs (fx->sim), ==, 1000);

  first = history (fx, "CallHistory.get",
                   "{\"orderBy\":[{\"columnName\":\"TIMESTAMP\",\"direction\":\"Desc\"}],"
                   "\"start\":0,\"limit\":500}");
  rows = json_object_get_array_member (result_of (first), "callHistory");
  g_assert_cmpuint (json_array_get_length (rows), ==, 100);
  g_assert_cmpint (json_object_get_int_member (result_of (first), "totalItems"), ==, 1000);
  g_assert_cmpint (row_int (rows, 0, "TIMESTAMP"), ==, T0 + 999 * 60);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (rows, 0), "ID"),
                   ==, "h-999");

  all = read_all_pages (fx, "Desc", "[]", 1000);
  assert_distinct (all);

  oldest = history (fx, "CallHistory.get",
                    "{\"orderBy\":[{\"columnName\":\"TIMESTAMP\",\"direction\":\"Asc\"}],"
                    "\"start\":0,\"limit\":10}");
  rows = json_object_get_array_member (result_of (oldest), "callHistory");
  g_assert_cmpuint (json_array_get_length (rows), ==, 10);
  g_assert_cmpint (row_int (rows, 0, "TIMESTAMP"), ==, T0);

  /* the sync's "what is new since" query, with the value as a string */
  query = g_strdup_printf ("{\"start\":0,\"limit\":50,\"conditions\":[{\"fieldName\":\"TIMESTAMP\","
                           "\"comparator\":\"GreaterEq\",\"value\":\"%" G_GINT64_FORMAT "\"}]}",
                           T0 + 900 * 60);
  recent = history (fx, "CallHistory.get", query);
  g_assert_cmpint (json_object_get_int_member (result_of (recent), "totalItems"), ==, 100);
  rows = json_object_get_array_member (result_of (recent), "callHistory");
  g_assert_cmpuint (json_array_get_length (rows), ==, 50);
  for (guint i = 0; i < json_array_get_length (rows); i++)
    g_assert_cmpint (row_int (rows, i, "TIMESTAMP"), >=, T0 + 900 * 60);
  g_clear_pointer (&query, g_free);

  query = g_strdup_printf ("{\"conditions\":["
                           "{\"fieldName\":\"TIMESTAMP\",\"comparator\":\"GreaterEq\",\"value\":%"
                           G_GINT64_FORMAT "},"
                           "{\"fieldName\":\"TIMESTAMP\",\"comparator\":\"Less\",\"value\":%"
                           G_GINT64_FORMAT "}],\"combining\":\"And\"}",
                           T0 + 10 * 60, T0 + 20 * 60);
  range = history (fx, "CallHistory.get", query);
  g_assert_cmpint (json_object_get_int_member (result_of (range), "totalItems"), ==, 10);
  g_clear_pointer (&query, g_free);

  query = g_strdup_printf ("{\"conditions\":["
                           "{\"fieldName\":\"TIMESTAMP\",\"comparator\":\"LessEq\",\"value\":%"
                           G_GINT64_FORMAT "},"
                           "{\"fieldName\":\"TIMESTAMP\",\"comparator\":\"Greater\",\"value\":%"
                           G_GINT64_FORMAT "}],\"combining\":\"Or\"}",
                           T0 + 60, T0 + 997 * 60);
  either = history (fx, "CallHistory.get", query);
  g_assert_cmpint (json_object_get_int_member (result_of (either), "totalItems"), ==, 4);
  g_clear_pointer (&query, g_free);

  query = g_strdup_printf ("{\"conditions\":[{\"fieldName\":\"TIMESTAMP\",\"comparator\":\"NotEq\","
                           "\"value\":%" G_GINT64_FORMAT "}]}", T0);
  not_eq = history (fx, "CallHistory.get", query);
  g_assert_cmpint (json_object_get_int_member (result_of (not_eq), "totalItems"), ==, 999);

  kc_sim_server_set_page_cap (fx->sim, 0);
  everything = history (fx, "CallHistory.get", "{\"start\":0,\"limit\":-1}");
  rows = json_object_get_array_member (result_of (everything), "callHistory");
  g_assert_cmpuint (json_array_get_length (rows), ==, 1000);

  unsupported = history (fx, "CallHistory.get",
                         "{\"conditions\":[{\"fieldName\":\"COLOUR\",\"comparator\":\"Eq\","
                         "\"value\":\"red\"}]}");
  g_assert_cmpint (error_code_of (unsupported), ==, -32602);

  /* Records sharing a second, written late: pages must neither repeat nor
   * skip one of them, in either direction */
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *id = g_strdup_printf ("tie-%u", i);

      kc_sim_server_add_cdr (fx->sim, id, T0 - 600, MOBILE, "1001", KC_SIM_CDR_ANSWERED, 30, 20);
    }
  kc_sim_server_set_page_cap (fx->sim, 2);
  g_clear_pointer (&query, g_free);
  query = g_strdup_printf ("[{\"fieldName\":\"TIMESTAMP\",\"comparator\":\"Eq\",\"value\":%"
                           G_GINT64_FORMAT "}]", T0 - 600);
  ties_asc = read_all_pages (fx, "Asc", query, 5);
  ties_desc = read_all_pages (fx, "Desc", query, 5);
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *id = g_strdup_printf ("tie-%u", i);

      g_assert_cmpstr (g_ptr_array_index (ties_asc, i), ==, id);
      g_assert_cmpstr (g_ptr_array_index (ties_desc, 4 - i), ==, id);
    }

  /* an imported batch of older history lands before everything else */
  kc_sim_server_add_generated_cdrs (fx->sim, "old", 100, T0 - 100000, 60);
  imported = history (fx, "CallHistory.get",
                      "{\"orderBy\":[{\"columnName\":\"TIMESTAMP\",\"direction\":\"Asc\"}],"
                      "\"start\":0,\"limit\":1}");
  rows = json_object_get_array_member (result_of (imported), "callHistory");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (rows, 0), "ID"),
                   ==, "old-0");
  g_assert_cmpint (json_object_get_int_member (result_of (imported), "totalItems"), ==, 1105);
}

static void
test_big_history (Fixture       *fx,
                  gconstpointer  data)
{
  g_autoptr (JsonNode) latest = NULL;
  g_autoptr (JsonNode) middle = NULL;
  g_autofree char *query = NULL;
  JsonArray *rows;

  login (fx);
  kc_sim_server_set_page_cap (fx->sim, 500);
  kc_sim_server_add_generated_cdrs (fx->sim, "big", 1000000, T0, 1);
  g_assert_cmpuint (kc_sim_server_get_n_cdrs (fx->sim), ==, 1000000);

  query = g_strdup_printf ("{\"orderBy\":[{\"columnName\":\"TIMESTAMP\",\"direction\":\"Desc\"}],"
                           "\"start\":0,\"limit\":50,\"conditions\":[{\"fieldName\":\"TIMESTAMP\","
                           "\"comparator\":\"Greater\",\"value\":%" G_GINT64_FORMAT "}]}",
                           T0 + 999989);
  latest = history (fx, "CallHistory.get", query);
  g_assert_cmpint (json_object_get_int_member (result_of (latest), "totalItems"), ==, 10);
  rows = json_object_get_array_member (result_of (latest), "callHistory");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (rows, 0), "ID"),
                   ==, "big-999999");

  middle = history (fx, "CallHistory.get",
                    "{\"orderBy\":[{\"columnName\":\"TIMESTAMP\",\"direction\":\"Asc\"}],"
                    "\"start\":500000,\"limit\":1}");
  rows = json_object_get_array_member (result_of (middle), "callHistory");
  g_assert_cmpuint (json_array_get_length (rows), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (rows, 0), "ID"),
                   ==, "big-500000");
}

static guint32
read_u32 (const guint8 *p)
{
  guint32 value;

  memcpy (&value, p, 4);
  return GUINT32_FROM_LE (value);
}

static guint16
read_u16 (const guint8 *p)
{
  guint16 value;

  memcpy (&value, p, 2);
  return GUINT16_FROM_LE (value);
}

static void
assert_voice_like_wav (GBytes *wav,
                       guint   seconds)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (wav, &size);
  guint loud = 0, n_samples;

  g_assert_cmpuint (size, ==, 44 + seconds * 8000 * 2);
  g_assert_cmpmem (data, 4, "RIFF", 4);
  g_assert_cmpuint (read_u32 (data + 4), ==, size - 8);
  g_assert_cmpmem (data + 8, 8, "WAVEfmt ", 8);
  g_assert_cmpuint (read_u16 (data + 20), ==, 1);    /* PCM */
  g_assert_cmpuint (read_u16 (data + 22), ==, 1);    /* mono */
  g_assert_cmpuint (read_u32 (data + 24), ==, 8000); /* Hz */
  g_assert_cmpuint (read_u16 (data + 34), ==, 16);   /* bits */
  g_assert_cmpmem (data + 36, 4, "data", 4);
  g_assert_cmpuint (read_u32 (data + 40), ==, size - 44);

  /* Someone is talking: a good share of the samples is well above silence */
  n_samples = (size - 44) / 2;
  for (guint i = 0; i < n_samples; i++)
    if (ABS ((gint16) read_u16 (data + 44 + 2 * i)) > 1000)
      loud++;
  g_assert_cmpuint (loud, >, n_samples / 10);
}

static void
test_recordings (Fixture       *fx,
                 gconstpointer  data)
{
  g_autoptr (JsonNode) list = NULL;
  g_autoptr (JsonNode) filtered = NULL;
  g_autoptr (JsonNode) download = NULL;
  g_autoptr (JsonNode) long_download = NULL;
  g_autoptr (JsonNode) unknown = NULL;
  g_autoptr (JsonNode) foreign = NULL;
  g_autoptr (SoupMessage) get = NULL;
  g_autoptr (SoupMessage) anonymous = NULL;
  g_autoptr (GBytes) wav = NULL;
  g_autoptr (GBytes) refused = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *query = NULL;
  g_autofree char *url = NULL;
  JsonObject *file;
  JsonArray *rows;

  login (fx);
  kc_sim_server_add_recording (fx->sim, "r-1", "1001", MOBILE, T0, 3);
  kc_sim_server_add_recording (fx->sim, "r-2", "1002", "+998997654321", T0 + 100, 3600);

  list = history (fx, "Recordings.get",
                  "{\"orderBy\":[{\"columnName\":\"STARTED\",\"direction\":\"Desc\"}],"
                  "\"start\":0,\"limit\":50}");
  g_assert_cmpint (json_object_get_int_member (result_of (list), "totalItems"), ==, 2);
  rows = json_object_get_array_member (result_of (list), "recordingList");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (rows, 0), "ID"),
                   ==, "r-2");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (rows, 1),
                                                  "EXTENSION"), ==, "1001");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (rows, 1),
                                                  "CALLER_ID"), ==, MOBILE);
  g_assert_cmpint (row_int (rows, 1, "STARTED"), ==, T0);
  g_assert_cmpint (row_int (rows, 1, "DURATION"), ==, 3);

  query = g_strdup_printf ("{\"conditions\":[{\"fieldName\":\"STARTED\","
                           "\"comparator\":\"GreaterEq\",\"value\":%" G_GINT64_FORMAT "}]}",
                           T0 + 50);
  filtered = history (fx, "Recordings.get", query);
  g_assert_cmpint (json_object_get_int_member (result_of (filtered), "totalItems"), ==, 1);

  download = rpc (fx, "Recordings.downloadAudioContent", "{\"id\":\"r-1\",\"transcode\":false}");
  file = json_object_get_object_member (result_of (download), "fileDownload");
  g_assert_true (g_str_has_prefix (json_object_get_string_member (file, "url"),
                                   "/admin/api/download/"));
  g_assert_true (g_str_has_suffix (json_object_get_string_member (file, "name"), ".wav"));
  g_assert_cmpint (json_object_get_int_member (file, "length"), ==, 44 + 3 * 8000 * 2);

  url = server_url (fx, json_object_get_string_member (file, "url"));
  get = soup_message_new (SOUP_METHOD_GET, url);
  soup_message_headers_append (soup_message_get_request_headers (get), "X-Token", fx->token);
  soup_message_headers_append (soup_message_get_request_headers (get), "Cookie", fx->cookie);
  wav = exchange (fx->session, get, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (get), ==, SOUP_STATUS_OK);
  g_assert_cmpstr (soup_message_headers_get_content_type (soup_message_get_response_headers (get),
                                                          NULL), ==, "audio/wav");
  assert_voice_like_wav (wav, 3);
  g_assert_cmpuint (kc_sim_server_get_download_count (fx->sim), ==, 1);

  anonymous = soup_message_new (SOUP_METHOD_GET, url);
  refused = exchange (fx->session, anonymous, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (anonymous), ==, SOUP_STATUS_UNAUTHORIZED);
  g_assert_cmpuint (kc_sim_server_get_download_count (fx->sim), ==, 1);
  g_assert_cmpuint (kc_sim_server_get_unauthenticated_count (fx->sim), ==, 1);

  /* An hour-long recording is served capped, and says so in its length */
  long_download = rpc (fx, "Recordings.downloadAudioContent", "{\"id\":\"r-2\"}");
  file = json_object_get_object_member (result_of (long_download), "fileDownload");
  g_assert_cmpint (json_object_get_int_member (file, "length"), ==, 44 + 600 * 8000 * 2);

  unknown = rpc (fx, "Recordings.downloadAudioContent", "{\"id\":\"r-404\"}");
  g_assert_cmpint (error_code_of (unknown), !=, 0);

  kc_sim_server_set_download_url_override (fx->sim, "https://files.example.com/r-1.wav");
  foreign = rpc (fx, "Recordings.downloadAudioContent", "{\"id\":\"r-1\"}");
  file = json_object_get_object_member (result_of (foreign), "fileDownload");
  g_assert_cmpstr (json_object_get_string_member (file, "url"), ==,
                   "https://files.example.com/r-1.wav");
}

/* Sends `body` and returns what came back, whatever it is */
static GBytes *
send_raw (Fixture      *fx,
          const char   *body,
          guint        *status,
          char        **content_type,
          GError      **error)
{
  g_autoptr (SoupMessage) msg = post_message (fx, fx->url, body);
  GBytes *reply = exchange (fx->session, msg, error);

  *status = soup_message_get_status (msg);
  if (content_type)
    *content_type = g_strdup (
      soup_message_headers_get_content_type (soup_message_get_response_headers (msg), NULL));
  return reply;
}

static void
test_faults (Fixture       *fx,
             gconstpointer  data)
{
  g_autofree char *body = NULL;
  g_autoptr (GBytes) normal = NULL;
  g_autoptr (JsonNode) parsed = NULL;
  g_autoptr (GError) error = NULL;
  gsize normal_size;
  guint status;

  login (fx);
  body = rpc_body (fx, "Status.getCalls", NULL);
  normal = send_raw (fx, body, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, SOUP_STATUS_OK);
  g_bytes_get_data (normal, &normal_size);

  {
    g_autoptr (GBytes) reply = NULL;
    g_autofree char *type = NULL;

    kc_sim_server_inject_fault (fx->sim, KC_SIM_FAULT_HTML, 1);
    reply = send_raw (fx, body, &status, &type, NULL);
    g_assert_cmpuint (status, ==, SOUP_STATUS_OK);
    g_assert_cmpstr (type, ==, "text/html");
    g_assert_null (parse_json (reply));
  }
  {
    g_autoptr (GBytes) reply = NULL;

    kc_sim_server_inject_fault (fx->sim, KC_SIM_FAULT_NOT_FOUND, 1);
    reply = send_raw (fx, body, &status, NULL, NULL);
    g_assert_cmpuint (status, ==, SOUP_STATUS_NOT_FOUND);
  }
  {
    g_autoptr (GBytes) reply = NULL;

    kc_sim_server_inject_fault (fx->sim, KC_SIM_FAULT_HTTP_500, 1);
    reply = send_raw (fx, body, &status, NULL, NULL);
    g_assert_cmpuint (status, ==, SOUP_STATUS_INTERNAL_SERVER_ERROR);
  }
  {
    g_autoptr (GBytes) reply = NULL;
    gsize size;
    const char *cut;

    kc_sim_server_inject_fault (fx->sim, KC_SIM_FAULT_TRUNCATED, 1);
    reply = send_raw (fx, body, &status, NULL, NULL);
    g_assert_cmpuint (status, ==, SOUP_STATUS_OK);
    cut = g_bytes_get_data (reply, &size);
    g_assert_cmpuint (size, ==, normal_size / 2);
    g_assert_cmpmem (cut, size, g_bytes_get_data (normal, NULL), normal_size / 2);
    g_assert_null (parse_json (reply));
  }
  {
    g_autoptr (GBytes) reply = NULL;

    kc_sim_server_inject_fault (fx->sim, KC_SIM_FAULT_MALFORMED, 1);
    reply = send_raw (fx, body, &status, NULL, NULL);
    g_assert_cmpuint (status, ==, SOUP_STATUS_OK);
    g_assert_null (parse_json (reply));
  }
  {
    g_autoptr (GBytes) reply = NULL;
    g_autoptr (JsonNode) root = NULL;
    JsonObject *result;

    kc_sim_server_inject_fault (fx->sim, KC_SIM_FAULT_WRONG_SHAPE, 1);
    reply = send_raw (fx, body, &status, NULL, NULL);
    root = parse_json (reply);
    g_assert_nonnull (root);
    result = json_object_get_object_member (json_node_get_object (root), "result");
    g_assert_nonnull (result);
    g_assert_false (JSON_NODE_HOLDS_ARRAY (json_object_get_member (result, "calls")));
  }
  {
    g_autoptr (GBytes) reply = NULL;

    kc_sim_server_inject_fault (fx->sim, KC_SIM_FAULT_HUGE, 1);
    reply = send_raw (fx, body, &status, NULL, NULL);
    g_assert_cmpuint (status, ==, SOUP_STATUS_OK);
    g_assert_cmpuint (g_bytes_get_size (reply), >, 16 * 1024 * 1024);
  }
  {
    g_autoptr (GBytes) reply = NULL;

    kc_sim_server_inject_fault (fx->sim, KC_SIM_FAULT_DROP, 1);
    reply = send_raw (fx, body, &status, NULL, &error);
    g_assert_nonnull (error);
    g_assert_null (reply);
    g_clear_error (&error);
  }
  {
    g_autoptr (SoupMessage) msg = post_message (fx, fx->url, body);
    g_autoptr (JsonNode) root = NULL;
    Exchange ex;

    kc_sim_server_set_slow_delay (fx->sim, 1.5);
    kc_sim_server_inject_fault (fx->sim, KC_SIM_FAULT_SLOW, 1);
    exchange_start (fx->session, msg, &ex);
    kc_test_run_for (0.2);
    g_assert_false (ex.done);
    KC_TEST_WAIT_UNTIL (ex.done, 10);
    g_assert_no_error (ex.error);
    root = parse_json (ex.body);
    g_assert_nonnull (root);
    result_of (root);
    g_bytes_unref (ex.body);
  }

  /* Logins go through untouched and do not use up the fault */
  kc_sim_server_inject_fault (fx->sim, KC_SIM_FAULT_HTTP_500, 2);
  login (fx);
  g_free (body);
  body = rpc_body (fx, "Status.getCalls", NULL);
  for (guint i = 0; i < 3; i++)
    {
      g_bytes_unref (send_raw (fx, body, &status, NULL, NULL));
      g_assert_cmpuint (status, ==, i < 2 ? SOUP_STATUS_INTERNAL_SERVER_ERROR : SOUP_STATUS_OK);
    }
  parsed = rpc (fx, "Status.getCalls", NULL);
  result_of (parsed);
}

static JsonNode *
control (Fixture    *fx,
         const char *request,
         guint       expected_status)
{
  g_autofree char *url = server_url (fx, "/sim/control");
  g_autoptr (SoupMessage) msg = post_message (fx, url, request);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) reply = exchange (fx->session, msg, &error);
  JsonNode *root;

  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, expected_status);
  root = parse_json (reply);
  g_assert_nonnull (root);
  return root;
}

static void
test_control (Fixture       *fx,
              gconstpointer  data)
{
  g_autoptr (JsonNode) added = NULL;
  g_autoptr (JsonNode) busy = NULL;
  g_autoptr (JsonNode) ringing = NULL;
  g_autoptr (JsonNode) answered = NULL;
  g_autoptr (JsonNode) cdrs = NULL;
  g_autoptr (JsonNode) stats = NULL;
  g_autoptr (JsonNode) bad = NULL;
  g_autoptr (JsonNode) gone = NULL;
  g_autoptr (JsonNode) broken = NULL;
  g_autofree char *request = NULL;
  g_autofree char *id = NULL;
  g_autofree char *busy_id = NULL;
  JsonObject *call, *requests;
  guint status;

  login (fx);
  json_node_unref (control (fx, "{\"action\":\"dialect\",\"dialect\":\"yiddish\"}",
                            SOUP_STATUS_BAD_REQUEST));
  /* The shape with names */
  json_node_unref (control (fx, "{\"action\":\"dialect\",\"dialect\":\"sdk\"}", SOUP_STATUS_OK));
  added = control (fx, "{\"action\":\"addCall\",\"from\":\"" MOBILE "\",\"to\":\"1003\","
                       "\"fromName\":\"Aziz Karimov\"}", SOUP_STATUS_OK);
  id = g_strdup (json_object_get_string_member (json_node_get_object (added), "id"));
  ringing = rpc (fx, "Status.getCalls", NULL);
  call = find_by_id (calls_of (ringing), id);
  g_assert_nonnull (call);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (call, "FROM"),
                                                  "NAME"), ==, "Aziz Karimov");

  request = g_strdup_printf ("{\"action\":\"answerCall\",\"id\":\"%s\"}", id);
  json_node_unref (control (fx, request, SOUP_STATUS_OK));
  answered = rpc (fx, "Status.getCalls", NULL);
  g_assert_cmpstr (json_object_get_string_member (find_by_id (calls_of (answered), id), "STATUS"),
                   ==, "Answered");

  busy = control (fx, "{\"action\":\"addCall\",\"from\":\"1004\",\"to\":\"" MOBILE "\"}",
                  SOUP_STATUS_OK);
  busy_id = g_strdup (json_object_get_string_member (json_node_get_object (busy), "id"));
  g_free (request);
  request = g_strdup_printf ("{\"action\":\"endCall\",\"id\":\"%s\",\"status\":2}", busy_id);
  json_node_unref (control (fx, request, SOUP_STATUS_OK));
  json_node_unref (control (fx, "{\"action\":\"addCdr\",\"id\":\"x-1\",\"timestamp\":1735689600,"
                                "\"from\":\"" MOBILE "\",\"to\":\"1001\",\"status\":3,"
                                "\"duration\":12,\"answered\":0}", SOUP_STATUS_OK));
  cdrs = history (fx, "CallHistory.get", "{}");
  g_assert_cmpint (json_object_get_int_member (
                     find_by_id (json_object_get_array_member (result_of (cdrs), "callHistory"),
                                 busy_id), "STATUS"), ==, KC_SIM_CDR_BUSY);
  g_assert_cmpint (json_object_get_int_member (
                     find_by_id (json_object_get_array_member (result_of (cdrs), "callHistory"),
                                 "x-1"), "CALL_DURATION"), ==, 12);

  json_node_unref (control (fx, "{\"action\":\"fault\",\"fault\":\"http500\",\"count\":1}",
                            SOUP_STATUS_OK));
  g_clear_pointer (&request, g_free);
  request = rpc_body (fx, "Status.getCalls", NULL);
  g_bytes_unref (send_raw (fx, request, &status, NULL, NULL));
  g_assert_cmpuint (status, ==, SOUP_STATUS_INTERNAL_SERVER_ERROR);

  stats = control (fx, "{\"action\":\"stats\"}", SOUP_STATUS_OK);
  requests = json_object_get_object_member (json_node_get_object (stats), "requests");
  g_assert_cmpint (json_object_get_int_member (requests, "Status.getCalls"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (requests, "Session.login"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (stats), "activeCalls"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (stats), "cdrs"), ==, 2);

  json_node_unref (control (fx, "{\"action\":\"expireSessions\"}", SOUP_STATUS_OK));
  gone = rpc (fx, "Status.getCalls", NULL);
  g_assert_cmpint (error_code_of (gone), ==, -32001);

  bad = control (fx, "{\"action\":\"explode\"}", SOUP_STATUS_BAD_REQUEST);
  g_assert_nonnull (json_object_get_string_member (json_node_get_object (bad), "error"));
  json_node_unref (control (fx, "{\"action\":\"answerCall\",\"id\":\"no-such-call\"}",
                            SOUP_STATUS_BAD_REQUEST));
  broken = control (fx, "{\"action\":", SOUP_STATUS_BAD_REQUEST);
  g_assert_nonnull (json_object_get_string_member (json_node_get_object (broken), "error"));
}

typedef enum
{
  OUTCOME_OK,
  OUTCOME_DROPPED,
  OUTCOME_HTTP_500,
  OUTCOME_TRUNCATED,
  OUTCOME_MALFORMED,
  N_OUTCOMES
} Outcome;

/* What one Status.getCalls looks like from the client's side */
static Outcome
poll_outcome (Fixture    *fx,
              const char *body,
              gsize       normal_size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) reply = NULL;
  g_autoptr (JsonNode) root = NULL;
  guint status;

  reply = send_raw (fx, body, &status, NULL, &error);
  if (error)
    return OUTCOME_DROPPED;
  if (status == SOUP_STATUS_INTERNAL_SERVER_ERROR)
    return OUTCOME_HTTP_500;
  g_assert_cmpuint (status, ==, SOUP_STATUS_OK);
  root = parse_json (reply);
  if (root)
    {
      result_of (root);
      return OUTCOME_OK;
    }
  return g_bytes_get_size (reply) == normal_size / 2 ? OUTCOME_TRUNCATED : OUTCOME_MALFORMED;
}

static void
assert_near (guint  observed,
             double expected)
{
  /* over five standard deviations of a binomial count: a fluke never fails
   * the test, a rate not applied always does */
  double slack = 5 * sqrt (expected) + 2;

  g_assert_cmpfloat (observed, >=, expected - slack);
  g_assert_cmpfloat (observed, <=, expected + slack);
}

/* Faults at a rate happen at about that rate, each looks as it should to a
 * client, the counts the simulator reports are what the client saw, and the
 * same seed gives the same run. */
static void
test_fault_rates (Fixture       *fx,
                  gconstpointer  data)
{
  const guint n = 400;
  guint seen[N_OUTCOMES] = { 0 };
  g_autoptr (GString) sequence = g_string_new (NULL);
  g_autoptr (GString) replay = g_string_new (NULL);
  g_autofree char *body = NULL;
  g_autoptr (GBytes) normal = NULL;
  g_autoptr (JsonNode) stats = NULL;
  JsonObject *faults;
  guint status;

  /* Both legs there from the start, and CALL_DURATION of two digits for
   * the whole test, so that every whole answer has the same size */
  kc_sim_server_add_call_started (fx->sim, MOBILE, "Aziz Karimov", "1001", NULL, 20);
  login (fx);
  body = rpc_body (fx, "Status.getCalls", NULL);
  normal = send_raw (fx, body, &status, NULL, NULL);

  json_node_unref (control (fx, "{\"action\":\"faultRates\",\"seed\":7,\"drop\":0.2,"
                                "\"http500\":0.15,\"truncated\":0.1,\"malformed\":0.1}",
                            SOUP_STATUS_OK));
  for (guint i = 0; i < n; i++)
    {
      Outcome outcome = poll_outcome (fx, body, g_bytes_get_size (normal));

      seen[outcome]++;
      g_string_append_c (sequence, (char) ('0' + outcome));
    }

  stats = control (fx, "{\"action\":\"stats\"}", SOUP_STATUS_OK);
  faults = json_object_get_object_member (json_node_get_object (stats), "faults");
  /* libsoup sends a request again on a fresh connection when a kept-alive
   * one closes under it, so a client sees fewer drops than were served */
  assert_near (json_object_get_int_member (faults, "drop"), 0.2 * n);
  g_assert_cmpuint (seen[OUTCOME_DROPPED], >=, 1);
  g_assert_cmpuint (seen[OUTCOME_DROPPED], <=, json_object_get_int_member (faults, "drop"));
  g_assert_cmpuint (seen[OUTCOME_HTTP_500], ==, json_object_get_int_member (faults, "http500"));
  g_assert_cmpuint (seen[OUTCOME_TRUNCATED], ==,
                    json_object_get_int_member (faults, "truncated"));
  g_assert_cmpuint (seen[OUTCOME_MALFORMED], ==,
                    json_object_get_int_member (faults, "malformed"));
  assert_near (seen[OUTCOME_HTTP_500], 0.15 * n);
  assert_near (seen[OUTCOME_TRUNCATED], 0.1 * n);
  assert_near (seen[OUTCOME_MALFORMED], 0.1 * n);
  g_assert_cmpuint (json_object_get_int_member (faults, "slow"), ==, 0);

  /* Logins are not spared: the network fails them like anything else */
  json_node_unref (control (fx, "{\"action\":\"faultRates\",\"http500\":1}", SOUP_STATUS_OK));
  {
    g_autofree char *login_body = rpc_body (fx, "Session.login",
                                            "{\"userName\":\"admin\",\"password\":\"demo\"}");

    g_bytes_unref (send_raw (fx, login_body, &status, NULL, NULL));
    g_assert_cmpuint (status, ==, SOUP_STATUS_INTERNAL_SERVER_ERROR);
  }

  /* All rates 0 again: nothing fails */
  json_node_unref (control (fx, "{\"action\":\"faultRates\"}", SOUP_STATUS_OK));
  for (guint i = 0; i < 20; i++)
    g_assert_cmpint (poll_outcome (fx, body, g_bytes_get_size (normal)), ==, OUTCOME_OK);

  /* Rates that cannot be */
  json_node_unref (control (fx, "{\"action\":\"faultRates\",\"drop\":0.7,\"http500\":0.7}",
                            SOUP_STATUS_BAD_REQUEST));
  json_node_unref (control (fx, "{\"action\":\"faultRates\",\"drop\":-0.1}",
                            SOUP_STATUS_BAD_REQUEST));

  /* The same seed replays the same faults on the same requests */
  json_node_unref (control (fx, "{\"action\":\"faultRates\",\"seed\":7,\"drop\":0.2,"
                                "\"http500\":0.15,\"truncated\":0.1,\"malformed\":0.1}",
                            SOUP_STATUS_OK));
  g_clear_object (&fx->session);
  fx->session = soup_session_new ();
  for (guint i = 0; i < n; i++)
    g_string_append_c (replay, (char) ('0' + poll_outcome (fx, body, g_bytes_get_size (normal))));
  /* A drop may be sent again and meet the next draw, so compare the answers
   * that are not drops up to the first drop */
  {
    gsize first_drop = strcspn (sequence->str, "1");

    g_assert_cmpuint (first_drop, >, 0);
    g_assert_cmpmem (sequence->str, first_drop, replay->str, first_drop);
  }
}

/* A slow answer comes, right, but only after the delay set with the rate */
static void
test_slow_rate (Fixture       *fx,
                gconstpointer  data)
{
  g_autofree char *body = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (JsonNode) root = NULL;
  Exchange ex;

  login (fx);
  json_node_unref (control (fx, "{\"action\":\"faultRates\",\"slow\":1,\"slowDelay\":1.5}",
                            SOUP_STATUS_OK));
  body = rpc_body (fx, "Status.getCalls", NULL);
  msg = post_message (fx, fx->url, body);
  exchange_start (fx->session, msg, &ex);
  kc_test_run_for (0.3);
  g_assert_false (ex.done);
  KC_TEST_WAIT_UNTIL (ex.done, 10);
  g_assert_no_error (ex.error);
  root = parse_json (ex.body);
  g_assert_nonnull (root);
  result_of (root);
  g_bytes_unref (ex.body);
  g_assert_cmpuint (kc_sim_server_get_fault_count (fx->sim, KC_SIM_FAULT_SLOW), ==, 1);
}

/* Sessions expire on a schedule: a token that worked stops working, and a
 * fresh login works again */
static void
test_expire_every (Fixture       *fx,
                   gconstpointer  data)
{
  g_autoptr (JsonNode) before = NULL;
  g_autoptr (JsonNode) after = NULL;
  g_autoptr (JsonNode) again = NULL;
  g_autoptr (JsonNode) stats = NULL;

  login (fx);
  json_node_unref (control (fx, "{\"action\":\"expireEvery\",\"seconds\":0.3}", SOUP_STATUS_OK));
  before = rpc (fx, "Status.getCalls", NULL);
  result_of (before);
  kc_test_run_for (0.5);
  after = rpc (fx, "Status.getCalls", NULL);
  g_assert_cmpint (error_code_of (after), ==, -32001);
  login (fx);
  json_node_unref (control (fx, "{\"action\":\"expireEvery\",\"seconds\":0}", SOUP_STATUS_OK));
  kc_test_run_for (0.5);
  again = rpc (fx, "Status.getCalls", NULL);
  result_of (again);
  stats = control (fx, "{\"action\":\"stats\"}", SOUP_STATUS_OK);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (stats), "expiries"), >=, 1);
  json_node_unref (control (fx, "{\"action\":\"expireEvery\",\"seconds\":-1}",
                            SOUP_STATUS_BAD_REQUEST));
}

static gboolean
request_refused (Fixture *fx)
{
  g_autofree char *body = rpc_body (fx, "Status.getCalls", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) reply = NULL;
  guint status;

  reply = send_raw (fx, body, &status, NULL, &error);
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
}

/* A restart cuts the calls off with their records written, refuses
 * connections while down, comes back on the same port with the history and
 * the recordings, and knows no session from before. */
static void
test_restart (Fixture       *fx,
              gconstpointer  data)
{
  g_autofree char *ringing = NULL;
  g_autofree char *talking = NULL;
  g_autoptr (JsonNode) page = NULL;
  g_autoptr (JsonNode) old_session = NULL;
  g_autoptr (JsonNode) fresh = NULL;
  g_autoptr (JsonNode) recordings = NULL;
  g_autoptr (JsonNode) stats = NULL;
  g_autoptr (JsonNode) busy = NULL;
  JsonArray *rows;
  guint16 port = kc_sim_server_get_port (fx->sim);

  kc_sim_server_add_cdr (fx->sim, "old-1", T0, MOBILE, "1001", KC_SIM_CDR_ANSWERED, 60, 50);
  kc_sim_server_add_recording (fx->sim, "rec-old-1", "1001", MOBILE, T0 + 10, 50);
  ringing = g_strdup (kc_sim_server_add_call (fx->sim, MOBILE, NULL, "1002", NULL));
  talking = g_strdup (kc_sim_server_add_call (fx->sim, "1003", NULL, "+998935556677", NULL));
  kc_sim_server_answer_call (fx->sim, talking);
  login (fx);

  /* The answer to the control request arrives; then the PBX goes down */
  json_node_unref (control (fx, "{\"action\":\"restart\",\"downFor\":1.5}", SOUP_STATUS_OK));
  KC_TEST_WAIT_UNTIL (kc_sim_server_is_down (fx->sim), 10);
  g_assert_true (request_refused (fx));
  g_assert_false (kc_sim_server_restart (fx->sim, 1));
  g_assert_cmpuint (kc_sim_server_get_n_active_calls (fx->sim), ==, 0);
  g_assert_cmpuint (kc_sim_server_get_restart_count (fx->sim), ==, 1);

  KC_TEST_WAIT_UNTIL (!kc_sim_server_is_down (fx->sim), 10);
  g_assert_cmpuint (kc_sim_server_get_port (fx->sim), ==, port);
  old_session = rpc (fx, "Status.getCalls", NULL);
  g_assert_cmpint (error_code_of (old_session), ==, -32001);

  login (fx);
  fresh = rpc (fx, "Status.getCalls", NULL);
  g_assert_cmpuint (json_array_get_length (calls_of (fresh)), ==, 0);
  page = history (fx, "CallHistory.get", "{}");
  rows = json_object_get_array_member (result_of (page), "callHistory");
  g_assert_cmpuint (json_array_get_length (rows), ==, 3);
  g_assert_nonnull (find_by_id (rows, "old-1"));
  g_assert_cmpint (json_object_get_int_member (find_by_id (rows, ringing), "STATUS"), ==,
                   KC_SIM_CDR_NO_ANSWER);
  g_assert_cmpint (json_object_get_int_member (find_by_id (rows, talking), "STATUS"), ==,
                   KC_SIM_CDR_ANSWERED);
  recordings = history (fx, "Recordings.get", "{}");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                      result_of (recordings), "recordingList")), ==, 2);

  stats = control (fx, "{\"action\":\"stats\"}", SOUP_STATUS_OK);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (stats), "restarts"), ==, 1);
  g_assert_false (json_object_get_boolean_member (json_node_get_object (stats), "down"));

  /* Straight through the C API, down for no time at all */
  g_assert_true (kc_sim_server_restart (fx->sim, 0));
  g_assert_true (kc_sim_server_is_down (fx->sim));
  KC_TEST_WAIT_UNTIL (!kc_sim_server_is_down (fx->sim), 10);
  g_clear_pointer (&fresh, json_node_unref);
  login (fx);
  fresh = rpc (fx, "Status.getCalls", NULL);
  result_of (fresh);
  busy = control (fx, "{\"action\":\"restart\",\"downFor\":-1}", SOUP_STATUS_BAD_REQUEST);
}

static JsonObject *
truth_call (JsonNode   *truth,
            const char *id)
{
  JsonArray *calls = json_object_get_array_member (json_node_get_object (truth), "calls");

  for (guint i = 0; i < json_array_get_length (calls); i++)
    {
      JsonObject *call = json_array_get_object_element (calls, i);

      if (g_strcmp0 (json_object_get_string_member (call, "id"), id) == 0)
        return call;
    }
  return NULL;
}

static JsonObject *
truth_cdr (JsonNode   *truth,
           const char *id)
{
  JsonArray *cdrs = json_object_get_array_member (json_node_get_object (truth), "cdrs");

  for (guint i = 0; i < json_array_get_length (cdrs); i++)
    {
      JsonObject *cdr = json_array_get_object_element (cdrs, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (cdr, "id", NULL), id) == 0)
        return cdr;
    }
  return NULL;
}

/* The simulator's own account: every CDR with the status and direction the
 * application should show, and per call how long it rang and how many
 * answers a client could have seen it ringing in. */
static void
test_ground_truth (Fixture       *fx,
                   gconstpointer  data)
{
  g_autofree char *incoming = NULL;
  g_autofree char *outgoing = NULL;
  g_autofree char *body = NULL;
  g_autoptr (JsonNode) truth = NULL;
  g_autoptr (JsonNode) filtered = NULL;
  JsonObject *call, *cdr;
  guint status;

  incoming = g_strdup (kc_sim_server_add_call (fx->sim, MOBILE, NULL, "1001", NULL));
  outgoing = g_strdup (kc_sim_server_add_call (fx->sim, "1004", NULL, "+998935556677", NULL));
  login (fx);
  json_node_unref (rpc (fx, "Status.getCalls", NULL));
  /* A failed answer showed the calls to nobody */
  kc_sim_server_inject_fault (fx->sim, KC_SIM_FAULT_HTTP_500, 1);
  body = rpc_body (fx, "Status.getCalls", NULL);
  g_bytes_unref (send_raw (fx, body, &status, NULL, NULL));
  g_assert_cmpuint (status, ==, SOUP_STATUS_INTERNAL_SERVER_ERROR);
  json_node_unref (rpc (fx, "Status.getCalls", NULL));
  /* So did a failed login, which a client needs before it can poll (the
   * successful one above did not count) */
  kc_sim_server_set_fault_rate (fx->sim, KC_SIM_FAULT_HTTP_500, 1);
  g_free (body);
  body = rpc_body (fx, "Session.login", "{\"userName\":\"admin\",\"password\":\"demo\"}");
  g_bytes_unref (send_raw (fx, body, &status, NULL, NULL));
  g_assert_cmpuint (status, ==, SOUP_STATUS_INTERNAL_SERVER_ERROR);
  kc_sim_server_set_fault_rate (fx->sim, KC_SIM_FAULT_HTTP_500, 0);
  kc_test_run_for (0.2);
  kc_sim_server_answer_call (fx->sim, incoming);
  /* Polls after the answer are not polls while ringing */
  json_node_unref (rpc (fx, "Status.getCalls", NULL));
  kc_sim_server_end_call (fx->sim, incoming, KC_SIM_CDR_NO_ANSWER);
  kc_sim_server_end_call (fx->sim, outgoing, KC_SIM_CDR_BUSY);
  kc_sim_server_add_cdr (fx->sim, NULL, T0, MOBILE, "1002", KC_SIM_CDR_VOICEMAIL, 30, 0);
  kc_sim_server_add_call (fx->sim, "+998971112233", NULL, "1001", NULL);

  truth = control (fx, "{\"action\":\"groundTruth\"}", SOUP_STATUS_OK);
  call = truth_call (truth, incoming);
  g_assert_nonnull (call);
  g_assert_cmpstr (json_object_get_string_member (call, "direction"), ==, "kiruvchi");
  g_assert_true (json_object_get_boolean_member (call, "tracked"));
  g_assert_true (json_object_get_boolean_member (call, "ended"));
  g_assert_true (json_object_get_boolean_member (call, "answered"));
  g_assert_cmpint (json_object_get_int_member (call, "ringingPolls"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (call, "ringingRequests"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (call, "rangMs"), >=, 200);
  call = truth_call (truth, outgoing);
  g_assert_cmpstr (json_object_get_string_member (call, "direction"), ==, "chiquvchi");
  g_assert_false (json_object_get_boolean_member (call, "answered"));
  g_assert_cmpint (json_object_get_int_member (call, "ringingPolls"), ==, 3);

  cdr = truth_cdr (truth, incoming);
  g_assert_cmpstr (json_object_get_string_member (cdr, "status"), ==, "javob berildi");
  g_assert_cmpint (json_object_get_int_member (cdr, "kerioStatus"), ==, KC_SIM_CDR_ANSWERED);
  g_assert_cmpstr (json_object_get_string_member (cdr, "direction"), ==, "kiruvchi");
  cdr = truth_cdr (truth, outgoing);
  g_assert_cmpstr (json_object_get_string_member (cdr, "status"), ==, "band");
  g_assert_cmpstr (json_object_get_string_member (cdr, "direction"), ==, "chiquvchi");
  cdr = truth_cdr (truth, NULL);
  g_assert_nonnull (cdr);
  g_assert_cmpstr (json_object_get_string_member (cdr, "status"), ==, "javobsiz");
  g_assert_cmpint (json_object_get_int_member (cdr, "timestamp"), ==, T0);
  g_assert_cmpuint (json_array_get_length (
                      json_object_get_array_member (json_node_get_object (truth), "cdrs")), ==, 3);
  /* The call still ringing is there, not ended */
  g_assert_cmpuint (json_array_get_length (
                      json_object_get_array_member (json_node_get_object (truth), "calls")), ==, 3);

  /* As an operator with extension 1001 sees them: the outgoing call from
   * 1004 is not this operator's to pop up, its history row still outgoing */
  filtered = control (fx, "{\"action\":\"groundTruth\",\"extension\":\"1001\"}", SOUP_STATUS_OK);
  call = truth_call (filtered, outgoing);
  g_assert_false (json_object_get_boolean_member (call, "tracked"));
  g_assert_cmpstr (json_object_get_string_member (call, "direction"), ==, "chiquvchi");
  g_assert_true (json_object_get_boolean_member (truth_call (filtered, incoming), "tracked"));
}

static const char *const three_extensions[] = { "1001", "1002", "1003", NULL };

static gboolean
has_row_to (JsonArray  *rows,
            const char *to)
{
  for (guint i = 0; i < json_array_get_length (rows); i++)
    if (strcmp (party_number (json_array_get_object_element (rows, i), "TO"), to) == 0)
      return TRUE;
  return FALSE;
}

/* Every row's STATUS is `field` in the field dialect, `sdk` in the SDK's */
static void
assert_statuses (JsonArray    *rows,
                 KcSimDialect  dialect,
                 const char   *field,
                 const char   *sdk)
{
  for (guint i = 0; i < json_array_get_length (rows); i++)
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (rows, i),
                                                    "STATUS"),
                     ==, dialect == KC_SIM_DIALECT_FIELD ? field : sdk);
}

/* A ring group call: a row per ringing extension (and the caller's row TO
 * the group in the field dialect); when one answers, the others vanish;
 * its CDR goes to who answered, or to the group when nobody did */
static void
check_group_calls (Fixture      *fx,
                   KcSimDialect  dialect)
{
  const char *const two[] = { "1001", "1004", NULL };
  const char *const pair[] = { "1005", "1006", NULL };
  gboolean field = dialect == KC_SIM_DIALECT_FIELD;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (JsonNode) cdrs = NULL;
  g_autoptr (JsonNode) recordings = NULL;
  g_autoptr (JsonNode) added = NULL;
  g_autofree char *id = NULL;
  g_autofree char *missed = NULL;
  g_autofree char *first = NULL;
  g_autofree char *request = NULL;
  const char *control_id;
  JsonArray *rows;
  JsonObject *row;

  kc_sim_server_set_dialect (fx->sim, dialect);
  login (fx);
  id = g_strdup (kc_sim_server_add_group_call (fx->sim, MOBILE, "Aziz Karimov", "800",
                                               three_extensions));
  g_assert_nonnull (id);
  /* The extensions' channels come 400 ms after the caller's */
  kc_test_run_for (0.5);
  rows = current_calls (fx, &root);
  g_assert_cmpuint (json_array_get_length (rows), ==, field ? 4 : 3);
  g_assert_true (has_row_to (rows, "1001") && has_row_to (rows, "1002")
                 && has_row_to (rows, "1003"));
  g_assert_true (has_row_to (rows, "800") == field);
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      row = json_array_get_object_element (rows, i);
      g_assert_cmpstr (party_number (row, "FROM"), ==, MOBILE);
      /* each its own channel, after the caller's; the SDK lists no
       * caller's row, and its first extension's row carries the call's id */
      if (strcmp (party_number (row, "TO"), field ? "800" : "1001") != 0)
        g_assert_cmpuint (id_serial (row_id (row)), >, id_serial (id));
    }
  /* the call's id is the caller's channel, a row of its own in the field,
   * the first extension's row in the SDK */
  g_assert_nonnull (find_by_id (rows, id));
  g_assert_cmpstr (party_number (find_by_id (rows, id), "TO"), ==, field ? "800" : "1001");
  assert_statuses (rows, dialect, "0", "Ringing");

  g_assert_false (kc_sim_server_answer_call_at (fx->sim, id, "1009"));
  g_assert_true (kc_sim_server_answer_call_at (fx->sim, id, "1002"));
  rows = current_calls (fx, &root);
  g_assert_cmpuint (json_array_get_length (rows), ==, field ? 2 : 1);
  g_assert_true (has_row_to (rows, "1002"));
  g_assert_false (has_row_to (rows, "1001") || has_row_to (rows, "1003"));
  assert_statuses (rows, dialect, "1", "Answered");
  /* taken: the others cannot answer any more */
  g_assert_false (kc_sim_server_answer_call_at (fx->sim, id, "1001"));
  g_assert_true (kc_sim_server_answer_call_at (fx->sim, id, "1002"));
  g_assert_true (kc_sim_server_end_call (fx->sim, id, KC_SIM_CDR_NO_ANSWER));

  missed = g_strdup (kc_sim_server_add_group_call (fx->sim, "+998971112233", NULL, "800", two));
  kc_test_run_for (0.5);
  rows = current_calls (fx, &root);
  g_assert_cmpuint (json_array_get_length (rows), ==, field ? 3 : 2);
  g_assert_true (kc_sim_server_end_call (fx->sim, missed, KC_SIM_CDR_NO_ANSWER));
  rows = current_calls (fx, &root);
  g_assert_cmpuint (json_array_get_length (rows), ==, 0);

  cdrs = history (fx, "CallHistory.get", "{}");
  rows = json_object_get_array_member (result_of (cdrs), "callHistory");
  g_assert_cmpuint (json_array_get_length (rows), ==, 2);
  row = find_by_id (rows, id);
  g_assert_cmpstr (json_object_get_string_member (row, "FROM_NUM"), ==, MOBILE);
  g_assert_cmpstr (json_object_get_string_member (row, "TO_NUM"), ==, "1002");
  g_assert_cmpint (json_object_get_int_member (row, "STATUS"), ==, KC_SIM_CDR_ANSWERED);
  row = find_by_id (rows, missed);
  g_assert_cmpstr (json_object_get_string_member (row, "TO_NUM"), ==, "800");
  g_assert_cmpint (json_object_get_int_member (row, "STATUS"), ==, KC_SIM_CDR_NO_ANSWER);
  /* Only the answered call was recorded, for the extension that took it */
  recordings = history (fx, "Recordings.get", "{}");
  rows = json_object_get_array_member (result_of (recordings), "recordingList");
  g_assert_cmpuint (json_array_get_length (rows), ==, 1);
  row = json_array_get_object_element (rows, 0);
  g_assert_cmpstr (json_object_get_string_member (row, "EXTENSION"), ==, "1002");
  g_assert_cmpstr (json_object_get_string_member (row, "CALLER_ID"), ==, MOBILE);

  /* Answered without saying by whom: the first extension takes it */
  first = g_strdup (kc_sim_server_add_group_call (fx->sim, MOBILE, NULL, "800", pair));
  kc_test_run_for (0.5);
  g_assert_true (kc_sim_server_answer_call (fx->sim, first));
  rows = current_calls (fx, &root);
  g_assert_true (has_row_to (rows, "1005"));
  g_assert_false (has_row_to (rows, "1006"));
  kc_sim_server_end_call (fx->sim, first, KC_SIM_CDR_NO_ANSWER);

  /* The same through the control endpoint */
  json_node_unref (control (fx, "{\"action\":\"addGroupCall\",\"from\":\"" MOBILE "\","
                                "\"to\":\"800\",\"extensions\":[]}", SOUP_STATUS_BAD_REQUEST));
  json_node_unref (control (fx, "{\"action\":\"addGroupCall\",\"from\":\"" MOBILE "\","
                                "\"to\":\"800\",\"extensions\":[\"1007\",8]}",
                            SOUP_STATUS_BAD_REQUEST));
  added = control (fx, "{\"action\":\"addGroupCall\",\"from\":\"" MOBILE "\",\"to\":\"800\","
                       "\"extensions\":[\"1007\",\"1008\"]}", SOUP_STATUS_OK);
  control_id = json_object_get_string_member (json_node_get_object (added), "id");
  kc_test_run_for (0.5);
  request = g_strdup_printf ("{\"action\":\"answerCall\",\"id\":\"%s\",\"extension\":\"1009\"}",
                             control_id);
  json_node_unref (control (fx, request, SOUP_STATUS_BAD_REQUEST));
  g_free (request);
  request = g_strdup_printf ("{\"action\":\"answerCall\",\"id\":\"%s\",\"extension\":\"1008\"}",
                             control_id);
  json_node_unref (control (fx, request, SOUP_STATUS_OK));
  rows = current_calls (fx, &root);
  g_assert_true (has_row_to (rows, "1008"));
  g_assert_false (has_row_to (rows, "1007"));
}

static void
test_group_calls_field (Fixture       *fx,
                        gconstpointer  data)
{
  check_group_calls (fx, KC_SIM_DIALECT_FIELD);
}

static void
test_group_calls_sdk (Fixture       *fx,
                      gconstpointer  data)
{
  check_group_calls (fx, KC_SIM_DIALECT_SDK);
}

/* A PBX that writes its records late: the CDR and the recording of a call
 * appear the delay after it ended, with the call's own start */
static void
test_cdr_delay (Fixture       *fx,
                gconstpointer  data)
{
  g_autoptr (JsonNode) early = NULL;
  g_autoptr (JsonNode) late = NULL;
  g_autoptr (JsonNode) recordings = NULL;
  g_autoptr (JsonNode) stats = NULL;
  g_autofree char *id = NULL;
  g_autofree char *quick = NULL;
  gint64 start = g_get_real_time () / G_USEC_PER_SEC - 30;
  JsonObject *row;

  login (fx);
  kc_sim_server_set_cdr_delay (fx->sim, 1);
  id = g_strdup (kc_sim_server_add_call_started (fx->sim, MOBILE, NULL, "1001", NULL, 30));
  kc_sim_server_answer_call (fx->sim, id);
  kc_sim_server_end_call (fx->sim, id, KC_SIM_CDR_NO_ANSWER);
  g_assert_cmpuint (kc_sim_server_get_n_active_calls (fx->sim), ==, 0);

  early = history (fx, "CallHistory.get", "{}");
  g_assert_cmpint (json_object_get_int_member (result_of (early), "totalItems"), ==, 0);
  g_assert_cmpuint (kc_sim_server_get_n_cdrs (fx->sim), ==, 0);
  stats = control (fx, "{\"action\":\"stats\"}", SOUP_STATUS_OK);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (stats), "pendingCdrs"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (stats), "cdrs"), ==, 0);

  KC_TEST_WAIT_UNTIL (kc_sim_server_get_n_cdrs (fx->sim) == 1, 5);
  late = history (fx, "CallHistory.get", "{}");
  row = find_by_id (json_object_get_array_member (result_of (late), "callHistory"), id);
  g_assert_nonnull (row);
  g_assert_cmpint (json_object_get_int_member (row, "STATUS"), ==, KC_SIM_CDR_ANSWERED);
  g_assert_cmpint (json_object_get_int_member (row, "TIMESTAMP"), >=, start - 1);
  g_assert_cmpint (json_object_get_int_member (row, "TIMESTAMP"), <=, start + 1);
  recordings = history (fx, "Recordings.get", "{}");
  g_assert_cmpint (json_object_get_int_member (result_of (recordings), "totalItems"), ==, 1);

  json_node_unref (control (fx, "{\"action\":\"cdrDelay\",\"seconds\":-1}",
                            SOUP_STATUS_BAD_REQUEST));
  json_node_unref (control (fx, "{\"action\":\"cdrDelay\",\"seconds\":0}", SOUP_STATUS_OK));
  quick = g_strdup (kc_sim_server_add_call (fx->sim, MOBILE, NULL, "1002", NULL));
  kc_sim_server_end_call (fx->sim, quick, KC_SIM_CDR_NO_ANSWER);
  g_assert_cmpuint (kc_sim_server_get_n_cdrs (fx->sim), ==, 2);
}

static const char *
rang_list (JsonObject *call,
           char        buffer[32])
{
  JsonArray *rang = json_object_get_array_member (call, "rang");

  buffer[0] = '\0';
  for (guint i = 0; i < json_array_get_length (rang); i++)
    {
      if (i > 0)
        g_strlcat (buffer, ",", 32);
      g_strlcat (buffer, json_array_get_string_element (rang, i), 32);
    }
  return buffer;
}

/* A ring group call in the ground truth: who it rang, who answered, how
 * many rows it showed; for the operator at an extension, theirs when it
 * rang there, answered when they took it, answered elsewhere when a
 * colleague did */
static void
test_ground_truth_groups (Fixture       *fx,
                          gconstpointer  data)
{
  const char *const pair[] = { "1001", "1002", NULL };
  const char *const other_pair[] = { "1001", "1003", NULL };
  g_autoptr (JsonNode) truth = NULL;
  g_autoptr (JsonNode) at_1001 = NULL;
  g_autoptr (JsonNode) at_1002 = NULL;
  g_autoptr (JsonNode) at_1003 = NULL;
  g_autoptr (JsonNode) sdk = NULL;
  g_autofree char *taken = NULL;
  g_autofree char *missed = NULL;
  g_autofree char *direct = NULL;
  g_autofree char *live = NULL;
  char buffer[32];
  JsonObject *call;

  taken = g_strdup (kc_sim_server_add_group_call (fx->sim, MOBILE, NULL, "800", pair));
  missed = g_strdup (kc_sim_server_add_group_call (fx->sim, "+998971112233", NULL, "800",
                                                   other_pair));
  direct = g_strdup (kc_sim_server_add_call (fx->sim, "+998935556677", NULL, "1001", NULL));
  kc_test_run_for (0.5);
  kc_sim_server_answer_call_at (fx->sim, taken, "1002");
  kc_sim_server_end_call (fx->sim, taken, KC_SIM_CDR_NO_ANSWER);
  kc_sim_server_end_call (fx->sim, missed, KC_SIM_CDR_NO_ANSWER);
  kc_sim_server_end_call (fx->sim, direct, KC_SIM_CDR_NO_ANSWER);

  truth = kc_sim_server_get_ground_truth (fx->sim, NULL, 4);
  call = truth_call (truth, taken);
  g_assert_cmpstr (json_object_get_string_member (call, "group"), ==, "800");
  g_assert_cmpstr (json_object_get_string_member (call, "to"), ==, "800");
  g_assert_cmpstr (rang_list (call, buffer), ==, "1001,1002");
  g_assert_cmpstr (json_object_get_string_member (call, "answeredBy"), ==, "1002");
  g_assert_true (json_object_get_boolean_member (call, "answered"));
  g_assert_true (json_object_get_boolean_member (call, "tracked"));
  g_assert_cmpstr (json_object_get_string_member (call, "direction"), ==, "kiruvchi");
  g_assert_cmpint (json_object_get_int_member (call, "legs"), ==, 3);
  g_assert_false (json_object_has_member (call, "answeredElsewhere"));
  call = truth_call (truth, missed);
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (call, "answeredBy")));
  g_assert_false (json_object_get_boolean_member (call, "answered"));
  call = truth_call (truth, direct);
  g_assert_false (json_object_has_member (call, "group"));
  g_assert_false (json_object_has_member (call, "rang"));
  g_assert_cmpint (json_object_get_int_member (call, "legs"), ==, 2);

  at_1001 = kc_sim_server_get_ground_truth (fx->sim, "1001", 4);
  call = truth_call (at_1001, taken);
  g_assert_true (json_object_get_boolean_member (call, "tracked"));
  g_assert_cmpstr (json_object_get_string_member (call, "direction"), ==, "kiruvchi");
  g_assert_false (json_object_get_boolean_member (call, "answered"));
  g_assert_true (json_object_get_boolean_member (call, "answeredElsewhere"));
  call = truth_call (at_1001, missed);
  g_assert_true (json_object_get_boolean_member (call, "tracked"));
  g_assert_false (json_object_get_boolean_member (call, "answered"));
  g_assert_false (json_object_has_member (call, "answeredElsewhere"));

  at_1002 = kc_sim_server_get_ground_truth (fx->sim, "1002", 4);
  call = truth_call (at_1002, taken);
  g_assert_true (json_object_get_boolean_member (call, "tracked"));
  g_assert_true (json_object_get_boolean_member (call, "answered"));
  g_assert_false (json_object_has_member (call, "answeredElsewhere"));
  g_assert_false (json_object_get_boolean_member (truth_call (at_1002, missed), "tracked"));

  at_1003 = kc_sim_server_get_ground_truth (fx->sim, "1003", 4);
  g_assert_false (json_object_get_boolean_member (truth_call (at_1003, taken), "tracked"));
  g_assert_true (json_object_get_boolean_member (truth_call (at_1003, missed), "tracked"));

  /* In the SDK dialect a ring group call has no caller's row */
  kc_sim_server_set_dialect (fx->sim, KC_SIM_DIALECT_SDK);
  live = g_strdup (kc_sim_server_add_group_call (fx->sim, MOBILE, NULL, "800", three_extensions));
  kc_test_run_for (0.5);
  sdk = control (fx, "{\"action\":\"groundTruth\",\"extension\":\"1003\"}", SOUP_STATUS_OK);
  call = truth_call (sdk, live);
  g_assert_false (json_object_get_boolean_member (call, "ended"));
  g_assert_cmpint (json_object_get_int_member (call, "legs"), ==, 3);
  g_assert_true (json_object_get_boolean_member (call, "tracked"));
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (call, "answeredBy")));
}

static gboolean
is_extension (const char *number)
{
  gint64 value;

  return g_ascii_string_to_signed (number, 10, 1001, 1010, &value, NULL);
}

static gboolean
is_uzbek_mobile (const char *number)
{
  return g_regex_match_simple ("^\\+998(90|91|93|94|95|97|98|99)[0-9]{7}$", number, 0, 0);
}

static char *
first_call_numbers (Fixture *fx)
{
  g_autoptr (JsonNode) calls = rpc (fx, "Status.getCalls", NULL);
  JsonObject *call = json_array_get_object_element (calls_of (calls), 0);

  return g_strdup_printf ("%s -> %s", party_number (call, "FROM"), party_number (call, "TO"));
}

static void
test_traffic (Fixture       *fx,
              gconstpointer  data)
{
  Fixture twin = { 0 };
  g_autoptr (JsonNode) calls = NULL;
  g_autoptr (JsonNode) later = NULL;
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *first = NULL;
  g_autofree char *twin_first = NULL;
  JsonArray *rows;

  login (fx);
  kc_sim_server_start_traffic (fx->sim, 1200, 42);
  KC_TEST_WAIT_UNTIL (kc_sim_server_get_n_active_calls (fx->sim) >= 3, 10);

  /* no ring is shorter than 1 s, so the first call is still there */
  first = first_call_numbers (fx);
  calls = rpc (fx, "Status.getCalls", NULL);
  rows = calls_of (calls);
  g_assert_cmpuint (json_array_get_length (rows), >=, 3);
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *call = json_array_get_object_element (rows, i);
      const char *from = party_number (call, "FROM");
      const char *to = party_number (call, "TO");

      g_assert_true ((is_extension (from) && is_uzbek_mobile (to))
                     || (is_uzbek_mobile (from)
                         && (is_extension (to) || strcmp (to, KC_SIM_TRAFFIC_GROUP) == 0)));
    }

  /* busy and failed calls end after a short ring and leave a record */
  KC_TEST_WAIT_UNTIL (kc_sim_server_get_n_cdrs (fx->sim) >= 1, 15);

  kc_sim_server_stop_traffic (fx->sim);
  /* the last calls' second legs come 400 ms after their first */
  kc_test_run_for (0.5);
  g_clear_pointer (&calls, json_node_unref);
  calls = rpc (fx, "Status.getCalls", NULL);
  rows = calls_of (calls);
  for (guint i = 0; i < json_array_get_length (rows); i++)
    g_hash_table_add (seen, g_strdup (row_id (json_array_get_object_element (rows, i))));
  kc_test_run_for (1.0);
  later = rpc (fx, "Status.getCalls", NULL);
  rows = calls_of (later);
  for (guint i = 0; i < json_array_get_length (rows); i++)
    g_assert_true (g_hash_table_contains (seen, row_id (json_array_get_object_element (rows, i))));

  /* the same seed plays the same calls */
  fixture_set_up (&twin, NULL);
  login (&twin);
  kc_sim_server_start_traffic (twin.sim, 1200, 42);
  KC_TEST_WAIT_UNTIL (kc_sim_server_get_n_active_calls (twin.sim) >= 1, 10);
  twin_first = first_call_numbers (&twin);
  g_assert_cmpstr (twin_first, ==, first);
  fixture_tear_down (&twin, NULL);
}

/* A short soak wants its last calls to end soon after the traffic stops:
 * with maxTalk every answered call talks 5 s at most, so all calls are over
 * within the longest ring (15 s) and that, instead of two minutes. */
static void
test_traffic_max_talk (Fixture       *fx,
                       gconstpointer  data)
{
  g_autoptr (JsonNode) bad = NULL;
  g_autoptr (JsonNode) started = NULL;
  g_autoptr (JsonNode) cdrs = NULL;
  JsonArray *rows;
  guint answered = 0;

  bad = control (fx, "{\"action\":\"traffic\",\"rate\":600,\"maxTalk\":2}", 400);
  g_assert_cmpuint (kc_sim_server_get_n_active_calls (fx->sim), ==, 0);

  login (fx);
  started = control (fx, "{\"action\":\"traffic\",\"rate\":600,\"seed\":5,\"maxTalk\":5}",
                     200);
  KC_TEST_WAIT_UNTIL (kc_sim_server_get_n_active_calls (fx->sim) >= 20, 10);
  kc_sim_server_stop_traffic (fx->sim);
  KC_TEST_WAIT_UNTIL (kc_sim_server_get_n_active_calls (fx->sim) == 0, 25);

  cdrs = history (fx, "CallHistory.get", "{\"start\":0,\"limit\":500}");
  rows = json_object_get_array_member (result_of (cdrs), "callHistory");
  g_assert_cmpuint (json_array_get_length (rows), >=, 20);
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);

      if (json_object_get_int_member (row, "STATUS") != KC_SIM_CDR_ANSWERED)
        continue;
      answered++;
      g_assert_cmpint (json_object_get_int_member (row, "ANSWERED_DURATION"), <=, 6);
    }
  g_assert_cmpuint (answered, >=, 5);
}

static int
compare_by_serial (gconstpointer a,
                   gconstpointer b)
{
  guint64 serial_a = id_serial (json_object_get_string_member (*(JsonObject **) a, "id"));
  guint64 serial_b = id_serial (json_object_get_string_member (*(JsonObject **) b, "id"));

  return serial_a < serial_b ? -1 : serial_a > serial_b;
}

/* The calls of the ground truth in the order they began, as
 * "from>to[rang]" */
static GPtrArray *
traffic_calls (KcSimServer *sim,
               guint        n)
{
  g_autoptr (JsonNode) truth = kc_sim_server_get_ground_truth (sim, NULL, 4);
  JsonArray *calls = json_object_get_array_member (json_node_get_object (truth), "calls");
  g_autoptr (GPtrArray) sorted = g_ptr_array_new ();
  GPtrArray *described = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < json_array_get_length (calls); i++)
    g_ptr_array_add (sorted, json_array_get_object_element (calls, i));
  g_ptr_array_sort (sorted, compare_by_serial);
  g_assert_cmpuint (sorted->len, >=, n);
  for (guint i = 0; i < n; i++)
    {
      JsonObject *call = g_ptr_array_index (sorted, i);
      char buffer[32] = "";

      if (json_object_has_member (call, "group"))
        rang_list (call, buffer);
      g_ptr_array_add (described, g_strdup_printf ("%s>%s[%s]",
                                                   json_object_get_string_member (call, "from"),
                                                   json_object_get_string_member (call, "to"),
                                                   buffer));
    }
  return described;
}

static guint
n_truth_calls (KcSimServer *sim)
{
  g_autoptr (JsonNode) truth = kc_sim_server_get_ground_truth (sim, NULL, 4);

  return json_array_get_length (
    json_object_get_array_member (json_node_get_object (truth), "calls"));
}

/* A caller who was not answered comes back, calling again or called back,
 * until one of their calls is answered: the demo's "to call back" list
 * fills and empties by itself */
static void
test_traffic_missed_come_back (Fixture       *fx,
                               gconstpointer  data)
{
  const guint n = 250;
  g_autoptr (JsonNode) truth = NULL;
  g_autoptr (GPtrArray) sorted = g_ptr_array_new ();
  g_autoptr (GHashTable) waiting = g_hash_table_new (g_str_hash, g_str_equal);
  JsonArray *calls;
  guint reached = 0, missed = 0;

  kc_sim_server_set_traffic_max_talk (fx->sim, KC_SIM_TRAFFIC_MIN_TALK);
  /* 10 calls a second: a caller calls again only once their missed call
   * has ended, after its ring of up to 15 s */
  kc_sim_server_start_traffic (fx->sim, 600, 11);
  KC_TEST_WAIT_UNTIL (n_truth_calls (fx->sim) + kc_sim_server_get_n_active_calls (fx->sim) >= n,
                      60);
  kc_sim_server_stop_traffic (fx->sim);
  /* Rings of 15 s at most, talks of 5 */
  KC_TEST_WAIT_UNTIL (kc_sim_server_get_n_active_calls (fx->sim) == 0, 30);

  truth = kc_sim_server_get_ground_truth (fx->sim, NULL, 4);
  calls = json_object_get_array_member (json_node_get_object (truth), "calls");
  for (guint i = 0; i < json_array_get_length (calls); i++)
    g_ptr_array_add (sorted, json_array_get_object_element (calls, i));
  g_ptr_array_sort (sorted, compare_by_serial);
  for (guint i = 0; i < sorted->len; i++)
    {
      JsonObject *call = g_ptr_array_index (sorted, i);
      const char *from = json_object_get_string_member (call, "from");
      const char *to = json_object_get_string_member (call, "to");
      const char *mobile = is_uzbek_mobile (from) ? from : to;

      if (json_object_get_boolean_member (call, "answered"))
        reached += g_hash_table_remove (waiting, mobile);
      else if (mobile == from)
        {
          missed++;
          g_hash_table_add (waiting, (gpointer) mobile);
        }
    }
  g_test_message ("%u calls not answered, %u callers reached later", missed, reached);
  g_assert_cmpuint (missed, >, 10);
  /* Callers not answered are reached later, within 250 calls, though none
   * can call again while their first call rings (up to 15 s) nor in the
   * 3 s after it; a random number comes again once in millions */
  g_assert_cmpuint (reached, >=, 2);
}

/* About a quarter of the incoming calls go to ring group 800, which rings
 * 2 or 3 of the extensions, and a seed plays the same ones again */
static void
test_traffic_groups (Fixture       *fx,
                     gconstpointer  data)
{
  const guint n = 200;
  g_autoptr (KcSimServer) twin = kc_sim_server_new ();
  g_autoptr (GPtrArray) calls = NULL;
  g_autoptr (GPtrArray) twin_calls = NULL;
  guint incoming = 0, groups = 0;

  kc_sim_server_start_traffic (fx->sim, 6000, 7);
  kc_sim_server_start_traffic (twin, 6000, 7);
  KC_TEST_WAIT_UNTIL (n_truth_calls (fx->sim) >= n && n_truth_calls (twin) >= n, 20);
  kc_sim_server_stop_traffic (fx->sim);
  kc_sim_server_stop_traffic (twin);

  calls = traffic_calls (fx->sim, n);
  twin_calls = traffic_calls (twin, n);
  for (guint i = 0; i < n; i++)
    {
      const char *call = g_ptr_array_index (calls, i);
      g_auto (GStrv) parts = g_strsplit_set (call, ">[]", -1);

      g_assert_cmpstr (call, ==, g_ptr_array_index (twin_calls, i));
      if (!is_uzbek_mobile (parts[0]))
        continue;
      incoming++;
      if (strcmp (parts[1], KC_SIM_TRAFFIC_GROUP) == 0)
        {
          g_auto (GStrv) rang = g_strsplit (parts[2], ",", -1);

          groups++;
          g_assert_cmpuint (g_strv_length (rang), >=, 2);
          g_assert_cmpuint (g_strv_length (rang), <=, 3);
          for (guint j = 0; rang[j]; j++)
            {
              g_assert_true (is_extension (rang[j]));
              for (guint k = 0; k < j; k++)
                g_assert_cmpstr (rang[j], !=, rang[k]);
            }
        }
      else
        g_assert_true (is_extension (parts[1]));
    }
  g_assert_cmpuint (groups, >=, incoming / 8);
  g_assert_cmpuint (groups, <=, incoming / 2);
}

static void
test_https (Fixture       *fx,
            gconstpointer  data)
{
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (JsonNode) calls = NULL;
  const char *set_cookie;

  g_assert_true (g_str_has_prefix (fx->url, "https://127.0.0.1:"));
  root = rpc_full (fx, "Session.login", "{\"userName\":\"admin\",\"password\":\"demo\"}", &msg);
  fx->token = g_strdup (json_object_get_string_member (result_of (root), "token"));
  set_cookie = soup_message_headers_get_one (soup_message_get_response_headers (msg), "Set-Cookie");
  g_assert_nonnull (strstr (set_cookie, "; secure"));
  fx->cookie = g_strndup (set_cookie, strcspn (set_cookie, ";"));

  kc_sim_server_add_call (fx->sim, "1002", NULL, "1001", NULL);
  calls = rpc (fx, "Status.getCalls", NULL);
  g_assert_cmpuint (json_array_get_length (calls_of (calls)), ==, 1);
}

static void
line_read (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  char **line = user_data;
  g_autoptr (GError) error = NULL;

  *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL,
                                                     &error);
  g_assert_no_error (error);
  g_assert_nonnull (*line);
}

/* kerio-sim as a user starts it: it says where it listens, serves, and
 * leaves cleanly on SIGTERM */
static void
test_executable (void)
{
  const char *binary = g_getenv ("KERIO_SIM");
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GDataInputStream) output = NULL;
  g_autoptr (GAsyncResult) waited = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) page = NULL;
  g_autofree char *line = NULL;
  Fixture fx = { 0 };
  const char *url;

  /* meson test sets it; running the binary by hand needs it too */
  if (binary == NULL)
    g_error ("KERIO_SIM must name the kerio-sim executable to test");
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, binary, "--port", "0",
                              "--traffic", "0", "--history", "30", "--page-cap", "7", NULL);
  g_assert_no_error (error);
  output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  g_data_input_stream_read_line_async (output, G_PRIORITY_DEFAULT, NULL, line_read, &line);
  KC_TEST_WAIT_UNTIL (line != NULL, 20);

  g_assert_true (
    g_str_has_prefix (line, "Kerio Operator simulator listening on http://127.0.0.1:"));
  g_assert_true (g_str_has_suffix (line, "/admin/api/jsonrpc/ (user admin)"));
  url = strstr (line, "http://");
  fx.url = g_strndup (url, strchr (url, ' ') - url);
  fx.session = soup_session_new ();
  login (&fx);
  page = history (&fx, "CallHistory.get", "{\"start\":0,\"limit\":50}");
  g_assert_cmpint (json_object_get_int_member (result_of (page), "totalItems"), ==, 30);
  g_assert_cmpuint (json_array_get_length (
                      json_object_get_array_member (result_of (page), "callHistory")), ==, 7);
  fixture_tear_down (&fx, NULL);

  g_subprocess_send_signal (process, SIGTERM);
  g_subprocess_wait_async (process, NULL, kc_test_store_result, &waited);
  KC_TEST_AWAIT (waited);
  g_subprocess_wait_finish (process, waited, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
}

/* kerio-sim's fault switches from the command line: the restart comes on
 * time and cuts the ringing call off, and the ground truth is written at
 * exit. */
static void
test_executable_faults (void)
{
  const char *binary = g_getenv ("KERIO_SIM");
  g_autofree char *dir = kc_test_make_tmpdir ();
  g_autofree char *truth_path = g_build_filename (dir, "truth.json", NULL);
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GDataInputStream) output = NULL;
  g_autoptr (GAsyncResult) waited = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *line = NULL;
  Fixture fx = { 0 };
  JsonArray *cdrs;
  JsonObject *cdr;
  const char *url;

  if (binary == NULL)
    g_error ("KERIO_SIM must name the kerio-sim executable to test");
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, binary, "--port", "0",
                              "--traffic", "0", "--drop-rate", "0.1", "--http500-rate", "0.05",
                              "--truncate-rate", "0.02", "--malformed-rate", "0.01",
                              "--slow-rate", "0.01", "--slow-delay", "12", "--fault-seed", "5",
                              "--expire-every", "60", "--restart-at", "3", "--down-for", "60",
                              "--ground-truth", truth_path, NULL);
  g_assert_no_error (error);
  output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  g_data_input_stream_read_line_async (output, G_PRIORITY_DEFAULT, NULL, line_read, &line);
  KC_TEST_WAIT_UNTIL (line != NULL, 20);
  url = strstr (line, "http://");
  fx.url = g_strndup (url, strchr (url, ' ') - url);
  fx.session = soup_session_new ();
  /* The control port is the same server, without faults */
  {
    g_autofree char *control_url = g_strdup (fx.url);
    g_autoptr (SoupMessage) msg = NULL;
    g_autoptr (GBytes) reply = NULL;

    strcpy (strstr (control_url, KC_SIM_ENDPOINT_PATH), "/sim/control");
    msg = post_message (&fx, control_url,
                        "{\"action\":\"addCall\",\"from\":\"" MOBILE "\",\"to\":\"1001\"}");
    reply = exchange (fx.session, msg, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_OK);
  }
  KC_TEST_WAIT_UNTIL (request_refused (&fx), 20);
  fixture_tear_down (&fx, NULL);

  g_subprocess_send_signal (process, SIGTERM);
  g_subprocess_wait_async (process, NULL, kc_test_store_result, &waited);
  KC_TEST_AWAIT (waited);
  g_subprocess_wait_finish (process, waited, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);

  json_parser_load_from_file (parser, truth_path, &error);
  g_assert_no_error (error);
  cdrs = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                       "cdrs");
  g_assert_cmpuint (json_array_get_length (cdrs), ==, 1);
  cdr = json_array_get_object_element (cdrs, 0);
  g_assert_cmpstr (json_object_get_string_member (cdr, "status"), ==, "javobsiz");
  g_assert_cmpstr (json_object_get_string_member (cdr, "direction"), ==, "kiruvchi");
  kc_test_rm_rf (dir);
}

/* A capture, as kerio-cti --capture writes it, written by hand: the first
 * line at T0, then answers 0.1 s to 1.5 s later */
static const char *const capture_lines[] = {
  "{\"time\":\"2025-01-01T00:00:00.000Z\",\"method\":\"Session.login\",\"params\":"
  "{\"userName\":\"admin\",\"password\":\"<redacted>\"},\"status\":200,\"elapsedMs\":5,"
  "\"response\":\"{\\\"jsonrpc\\\":\\\"2.0\\\",\\\"id\\\":1,\\\"result\\\":{\\\"token\\\":"
  "\\\"<redacted>\\\"}}\",\"setCookie\":[\"SESSION_OPERATOR_WEBADMIN=<redacted>; path=/admin/;"
  " secure; HttpOnly\"]}",
  "{\"time\":\"2025-01-01T00:00:00.100Z\",\"method\":\"Status.getCalls\",\"params\":{},"
  "\"status\":200,\"elapsedMs\":3,\"response\":\"{\\\"jsonrpc\\\":\\\"2.0\\\",\\\"id\\\":2,"
  "\\\"result\\\":{\\\"calls\\\":[{\\\"id\\\":\\\"1735689600.1\\\",\\\"FROM\\\":{\\\"NUMBER\\\":"
  "\\\"+998901234567\\\"},\\\"TO\\\":{\\\"NUMBER\\\":\\\"1001\\\"},\\\"STATUS\\\":\\\"0\\\","
  "\\\"CALL_DURATION\\\":0}],\\\"totalItems\\\":1}}\"}",
  "this line is not JSON {",
  "{\"time\":\"2025-01-01T00:00:01.500Z\",\"method\":\"Status.getCalls\",\"params\":{},"
  "\"status\":200,\"elapsedMs\":3,\"response\":\"{\\\"jsonrpc\\\":\\\"2.0\\\",\\\"id\\\":5,"
  "\\\"result\\\":{\\\"calls\\\":[{\\\"id\\\":\\\"1735689600.1\\\",\\\"FROM\\\":{\\\"NUMBER\\\":"
  "\\\"+998901234567\\\"},\\\"TO\\\":{\\\"NUMBER\\\":\\\"1001\\\"},\\\"STATUS\\\":\\\"1\\\","
  "\\\"CALL_DURATION\\\":1}],\\\"totalItems\\\":1}}\"}",
  "{\"time\":\"2025-01-01T00:00:00.200Z\",\"method\":\"CallHistory.get\",\"params\":{\"query\":"
  "{\"start\":0,\"limit\":50,\"conditions\":[{\"fieldName\":\"TIMESTAMP\",\"comparator\":"
  "\"GreaterEq\",\"value\":\"1735689000\"}]}},\"status\":200,\"elapsedMs\":4,\"response\":"
  "\"{\\\"jsonrpc\\\":\\\"2.0\\\",\\\"id\\\":3,\\\"result\\\":{\\\"callHistory\\\":[{\\\"ID\\\":"
  "\\\"c-1\\\",\\\"TIMESTAMP\\\":1735689500,\\\"FROM_NUM\\\":\\\"+998901234567\\\","
  "\\\"TO_NUM\\\":\\\"1001\\\",\\\"STATUS\\\":4}],\\\"totalItems\\\":1}}\"}",
  "{\"time\":\"2025-01-01T00:00:00.300Z\",\"method\":\"CallHistory.get\",\"params\":{\"query\":"
  "{\"start\":0,\"limit\":1}},\"status\":200,\"elapsedMs\":4,\"response\":"
  "\"{\\\"jsonrpc\\\":\\\"2.0\\\",\\\"id\\\":4,\\\"result\\\":{\\\"callHistory\\\":[{\\\"ID\\\":"
  "\\\"c-2\\\",\\\"timestamp\\\":\\\"1735689550\\\",\\\"FROM_NUM\\\":\\\"1002\\\","
  "\\\"TO_NUM\\\":\\\"+998935556677\\\",\\\"STATUS\\\":2}],\\\"totalItems\\\":9}}\"}",
  "{\"time\":\"2025-01-01T00:00:00.400Z\",\"method\":\"Recordings.get\",\"params\":{\"query\":"
  "{\"start\":0,\"limit\":50}},\"status\":200,\"elapsedMs\":4,\"response\":"
  "\"{\\\"jsonrpc\\\":\\\"2.0\\\",\\\"id\\\":6,\\\"result\\\":{\\\"recordingList\\\":[{\\\"ID\\\":"
  "\\\"r-1\\\",\\\"EXTENSION\\\":\\\"1001\\\",\\\"CALLER_ID\\\":\\\"+998901234567\\\","
  "\\\"DURATION\\\":50,\\\"started\\\":1735689520}],\\\"totalItems\\\":1}}\"}",
  "",
  "{\"time\":\"2025-01-01T00:00:00.500Z\",\"method\":\"Status.getQueueAgents\",\"params\":"
  "{\"query\":{},\"extension\":\"1001\"},\"status\":500,\"elapsedMs\":9,\"response\":"
  "\"<html><body><h1>Internal Server Error</h1></body></html>\"}",
  "{\"time\":\"2025-01-01T00:00:00.600Z\",\"method\":\"Recordings.downloadAudioContent\","
  "\"params\":{\"id\":\"r-1\",\"transcode\":false},\"status\":0,\"elapsedMs\":30000,"
  "\"error\":\"Connection reset by peer\",\"response\":null}",
  NULL,
};

static char *
write_capture (const char        *dir,
               const char        *name,
               const char *const *lines)
{
  g_autofree char *text = g_strjoinv ("\n", (char **) lines);
  char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  return path;
}

static JsonObject *
first_row (JsonNode   *root,
           const char *list)
{
  return json_array_get_object_element (json_object_get_array_member (result_of (root), list), 0);
}

/* kerio-sim --replay serves a capture back: any password logs in, answers
 * by the replay clock or by the query they were recorded for, the
 * history's times moved to now, a recorded 500 as 500, a recorded
 * transport error as a dropped connection; a bad line is skipped */
static void
test_replay (Fixture       *fx,
             gconstpointer  data)
{
  g_autofree char *dir = kc_test_make_tmpdir ();
  g_autofree char *path = write_capture (dir, "capture.jsonl", capture_lines);
  g_autofree char *empty = NULL;
  g_autofree char *query = NULL;
  g_autofree char *body = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) login_answer = NULL;
  g_autoptr (JsonNode) early = NULL;
  g_autoptr (JsonNode) later = NULL;
  g_autoptr (JsonNode) latest = NULL;
  g_autoptr (JsonNode) since = NULL;
  g_autoptr (JsonNode) other = NULL;
  g_autoptr (JsonNode) recordings = NULL;
  g_autoptr (JsonNode) unknown = NULL;
  g_autoptr (JsonNode) logout = NULL;
  g_autoptr (GBytes) reply = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  const char *bad_only[] = { "{\"time\":\"yesterday\"}", "[1,2]", "", NULL };
  gint64 before = g_get_real_time () / G_USEC_PER_SEC;
  const char *set_cookie;
  gint64 shift;
  guint status;
  JsonObject *row;

  empty = write_capture (dir, "unusable.jsonl", bad_only);
  g_test_expect_message ("kc-sim-server", G_LOG_LEVEL_WARNING, "*line 1 skipped*");
  g_test_expect_message ("kc-sim-server", G_LOG_LEVEL_WARNING, "*line 2 skipped*");
  g_assert_false (kc_sim_server_load_replay (fx->sim, empty, &error));
  g_test_assert_expected_messages ();
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  g_test_expect_message ("kc-sim-server", G_LOG_LEVEL_WARNING, "*line 3 skipped*");
  g_assert_true (kc_sim_server_load_replay (fx->sim, path, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);

  /* Whatever the password: the capture has it redacted */
  login_answer = rpc_full (fx, "Session.login", "{\"userName\":\"admin\",\"password\":\"guess\"}",
                           &msg);
  fx->token = g_strdup (json_object_get_string_member (result_of (login_answer), "token"));
  set_cookie = soup_message_headers_get_one (soup_message_get_response_headers (msg), "Set-Cookie");
  fx->cookie = g_strndup (set_cookie, strcspn (set_cookie, ";"));
  g_assert_cmpstr (fx->token, !=, "<redacted>");

  /* Before its first recorded time a method gets its first answer; later
   * the last one recorded within the clock */
  early = rpc (fx, "Status.getCalls", NULL);
  g_assert_cmpstr (json_object_get_string_member (first_row (early, "calls"), "STATUS"), ==, "0");
  kc_test_run_for (1.6);
  later = rpc (fx, "Status.getCalls", NULL);
  g_assert_cmpstr (json_object_get_string_member (first_row (later, "calls"), "STATUS"), ==, "1");
  g_assert_cmpstr (json_object_get_string_member (first_row (later, "calls"), "id"), ==,
                   "1735689600.1");

  /* Answered by the query it was recorded for, its times moved by the
   * whole seconds from the capture's start to the replay's, strings kept
   * strings */
  latest = history (fx, "CallHistory.get", "{\"start\":0,\"limit\":1}");
  row = first_row (latest, "callHistory");
  g_assert_cmpstr (json_object_get_string_member (row, "ID"), ==, "c-2");
  g_assert_true (g_ascii_string_to_signed (json_object_get_string_member (row, "timestamp"), 10, 0,
                                           G_MAXINT64, &shift, NULL));
  shift -= 1735689550;
  g_assert_cmpint (shift, >=, before - T0 - 1);
  g_assert_cmpint (shift, <=, g_get_real_time () / G_USEC_PER_SEC - T0 + 1);

  /* The condition's time is moved back before it is compared */
  query = g_strdup_printf ("{\"start\":0,\"limit\":50,\"conditions\":[{\"fieldName\":\"TIMESTAMP\","
                           "\"comparator\":\"GreaterEq\",\"value\":%" G_GINT64_FORMAT "}]}",
                           1735689000 + shift);
  since = history (fx, "CallHistory.get", query);
  row = first_row (since, "callHistory");
  g_assert_cmpstr (json_object_get_string_member (row, "ID"), ==, "c-1");
  g_assert_cmpint (json_object_get_int_member (row, "TIMESTAMP"), ==, 1735689500 + shift);

  /* A query never recorded gets the last answer by time */
  other = history (fx, "CallHistory.get", "{\"start\":100,\"limit\":50}");
  g_assert_cmpstr (json_object_get_string_member (first_row (other, "callHistory"), "ID"), ==,
                   "c-2");

  recordings = history (fx, "Recordings.get", "{\"start\":0,\"limit\":50}");
  row = first_row (recordings, "recordingList");
  g_assert_cmpint (json_object_get_int_member (row, "started"), ==, 1735689520 + shift);
  g_assert_cmpint (json_object_get_int_member (row, "DURATION"), ==, 50);

  body = rpc_body (fx, "Status.getQueueAgents", "{\"query\":{},\"extension\":\"1001\"}");
  g_bytes_unref (send_raw (fx, body, &status, NULL, NULL));
  g_assert_cmpuint (status, ==, SOUP_STATUS_INTERNAL_SERVER_ERROR);

  g_free (body);
  body = rpc_body (fx, "Recordings.downloadAudioContent", "{\"id\":\"r-1\"}");
  reply = send_raw (fx, body, &status, NULL, &error);
  g_assert_nonnull (error);
  g_assert_null (reply);

  unknown = rpc (fx, "Status.getEverything", NULL);
  g_assert_cmpint (error_code_of (unknown), ==, -32601);
  logout = rpc (fx, "Session.logout", NULL);
  g_assert_cmpuint (json_object_get_size (result_of (logout)), ==, 0);
  g_assert_cmpuint (kc_sim_server_get_request_count (fx->sim, "Status.getCalls"), ==, 2);
  kc_test_rm_rf (dir);
}

/* kerio-sim refuses what it cannot serve, with exit status 2 */
static void
test_executable_bad_options (void)
{
  const char *binary = g_getenv ("KERIO_SIM");
  g_autofree char *dir = kc_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "empty.jsonl", NULL);
  const char *const bad_dialect[] = { "--port", "0", "--dialect", "yiddish", NULL };
  const char *const bad_replay[] = { "--port", "0", "--replay", path, NULL };
  const char *const *cases[] = { bad_dialect, bad_replay };

  if (binary == NULL)
    g_error ("KERIO_SIM must name the kerio-sim executable to test");
  g_file_set_contents (path, "\n\nnot a capture\n", -1, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GPtrArray) argv = g_ptr_array_new ();
      g_autoptr (GSubprocess) process = NULL;
      g_autoptr (GAsyncResult) waited = NULL;
      g_autoptr (GError) error = NULL;

      g_ptr_array_add (argv, (gpointer) binary);
      for (guint j = 0; cases[i][j]; j++)
        g_ptr_array_add (argv, (gpointer) cases[i][j]);
      g_ptr_array_add (argv, NULL);
      process = g_subprocess_newv ((const char *const *) argv->pdata,
                                   G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                                     | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                                   &error);
      g_assert_no_error (error);
      g_subprocess_wait_async (process, NULL, kc_test_store_result, &waited);
      KC_TEST_AWAIT (waited);
      g_subprocess_wait_finish (process, waited, &error);
      g_assert_no_error (error);
      g_assert_true (g_subprocess_get_if_exited (process));
      g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 2);
    }
  kc_test_rm_rf (dir);
}

/* Every seed and length must stay inside its buffer (AddressSanitizer
 * catches a write past it in the sanitizer build); a recording of N seconds
 * is exactly N seconds of samples. */
static void
test_wav_any_seed (void)
{
  for (guint32 seed = 0; seed < 300; seed++)
    for (guint seconds = 1; seconds <= 4; seconds++)
      {
        g_autoptr (GBytes) wav = kc_sim_wav_generate (seconds, seed);
        const guint8 *data = g_bytes_get_data (wav, NULL);
        guint32 data_size = data[40] | data[41] << 8 | data[42] << 16 | (guint32) data[43] << 24;

        g_assert_cmpuint (g_bytes_get_size (wav), ==, kc_sim_wav_get_size (seconds));
        g_assert_cmpmem (data, 4, "RIFF", 4);
        g_assert_cmpuint (data_size, ==, seconds * 8000 * 2);
      }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/sim/login", test_login);
  ADD ("/sim/unauthenticated", test_unauthenticated);
  ADD ("/sim/field-rows", test_field_rows);
  ADD ("/sim/sdk-rows", test_sdk_rows);
  ADD ("/sim/end-call-cdr", test_end_call_cdr);
  ADD ("/sim/history-paging", test_history_paging);
  ADD ("/sim/big-history", test_big_history);
  ADD ("/sim/recordings", test_recordings);
  ADD ("/sim/faults", test_faults);
  ADD ("/sim/control", test_control);
  ADD ("/sim/traffic", test_traffic);
  ADD ("/sim/traffic-max-talk", test_traffic_max_talk);
  ADD ("/sim/fault-rates", test_fault_rates);
  ADD ("/sim/slow-rate", test_slow_rate);
  ADD ("/sim/expire-every", test_expire_every);
  ADD ("/sim/restart", test_restart);
  ADD ("/sim/ground-truth", test_ground_truth);
  ADD ("/sim/group-calls-field", test_group_calls_field);
  ADD ("/sim/group-calls-sdk", test_group_calls_sdk);
  ADD ("/sim/cdr-delay", test_cdr_delay);
  ADD ("/sim/ground-truth-groups", test_ground_truth_groups);
  ADD ("/sim/traffic-groups", test_traffic_groups);
  ADD ("/sim/traffic-missed-come-back", test_traffic_missed_come_back);
  ADD ("/sim/replay", test_replay);
#undef ADD
  g_test_add_func ("/sim/executable-faults", test_executable_faults);
  g_test_add ("/sim/https", Fixture, GINT_TO_POINTER (TRUE), fixture_set_up, test_https,
              fixture_tear_down);
  g_test_add_func ("/sim/executable", test_executable);
  g_test_add_func ("/sim/executable-bad-options", test_executable_bad_options);
  g_test_add_func ("/sim/wav-any-seed", test_wav_any_seed);

  return g_test_run ();
}
