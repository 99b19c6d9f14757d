/* test-kerio-parse.c: JSON-RPC answers to records, and the small helpers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "kerio/kc-kerio-client.h"
#include "kerio/kc-kerio-error.h"
#include "kerio/kc-kerio-parse.h"

static JsonNode *
parse (const char  *body,
       GError     **error)
{
  return kc_kerio_parse_response (body, strlen (body), error);
}

static JsonNode *
parse_ok (const char *body)
{
  g_autoptr (GError) error = NULL;
  JsonNode *result = parse (body, &error);

  g_assert_no_error (error);
  g_assert_nonnull (result);
  return result;
}

static void
assert_parse_fails (const char   *body,
                    int           code)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) result = parse (body, &error);

  g_assert_null (result);
  g_assert_error (error, KC_KERIO_ERROR, code);
  g_assert_nonnull (error->message);
  g_assert_cmpstr (error->message, !=, "");
}

static GPtrArray *
parse_cdrs (const char *body,
            gint64     *total)
{
  g_autoptr (JsonNode) result = parse_ok (body);
  g_autoptr (GError) error = NULL;
  GPtrArray *cdrs = kc_kerio_parse_cdrs (result, total, &error);

  g_assert_no_error (error);
  g_assert_nonnull (cdrs);
  return cdrs;
}

static void
assert_same_call (const KcActiveCall *x,
                  const KcActiveCall *y)
{
  g_assert_cmpstr (x->id, ==, y->id);
  g_assert_cmpstr (x->from_number, ==, y->from_number);
  g_assert_cmpstr (x->from_name, ==, y->from_name);
  g_assert_cmpstr (x->to_number, ==, y->to_number);
  g_assert_cmpstr (x->to_name, ==, y->to_name);
  g_assert_cmpstr (x->status, ==, y->status);
  g_assert_cmpint (x->answered_duration, ==, y->answered_duration);
  g_assert_cmpint (x->call_duration, ==, y->call_duration);
}

/* Through the tree, checked against the one-pass reader the client uses */
static GPtrArray *
parse_calls (const char *body)
{
  g_autoptr (JsonNode) result = parse_ok (body);
  g_autoptr (GError) error = NULL;
  GPtrArray *calls = kc_kerio_parse_active_calls (result, &error);
  g_autoptr (KcKerioPageAnswer) page = kc_kerio_parse_call_page (body, strlen (body), &error);

  g_assert_no_error (error);
  g_assert_nonnull (calls);
  g_assert_nonnull (page);
  g_assert_cmpuint (page->rows->len, ==, calls->len);
  for (guint i = 0; i < calls->len; i++)
    assert_same_call (g_ptr_array_index (page->rows, i), g_ptr_array_index (calls, i));
  return calls;
}

/* The same, and the one-pass reader read it alone (streamed) or left it to
 * the tree */
static GPtrArray *
parse_calls_both (const char *body,
                  gboolean    streamed)
{
  g_autoptr (KcKerioPageAnswer) alone = kc_kerio_stream_call_page (body, strlen (body));
  GPtrArray *calls = parse_calls (body);

  g_assert_cmpint (alone != NULL, ==, streamed);
  if (alone != NULL)
    {
      g_assert_cmpuint (alone->rows->len, ==, calls->len);
      for (guint i = 0; i < calls->len; i++)
        assert_same_call (g_ptr_array_index (alone->rows, i), g_ptr_array_index (calls, i));
    }
  return calls;
}

/* --- Envelope --- */

static void
test_response_result (void)
{
  g_autoptr (JsonNode) result = parse_ok ("{\"jsonrpc\":\"2.0\",\"id\":1,"
                                          "\"result\":{\"token\":\"abc\"}}");

  g_assert_true (JSON_NODE_HOLDS_OBJECT (result));
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (result), "token"), ==,
                   "abc");
}

static void
test_response_null_error_is_no_error (void)
{
  /* JSON-RPC 1.0 servers send "error":null next to the result */
  g_autoptr (JsonNode) result = parse_ok ("{\"id\":1,\"error\":null,\"result\":{\"a\":1}}");

  g_assert_true (JSON_NODE_HOLDS_OBJECT (result));
}

static void
test_response_html (void)
{
  assert_parse_fails ("<!DOCTYPE html><html><body>Login</body></html>",
                      KC_KERIO_ERROR_NOT_KERIO);
  assert_parse_fails ("\r\n  \t<html><body>It works!</body></html>", KC_KERIO_ERROR_NOT_KERIO);
  assert_parse_fails ("<?xml version=\"1.0\"?><error/>", KC_KERIO_ERROR_NOT_KERIO);
  /* Some proxies put a banner before the page */
  assert_parse_fails ("Proxy says:\n<HTML><BODY>Gateway Timeout</BODY></HTML>",
                      KC_KERIO_ERROR_NOT_KERIO);
}

static void
test_response_html_message (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) result = parse ("<html></html>", &error);

  g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_NOT_KERIO);
  g_assert_nonnull (strstr (error->message, "does not look like a Kerio Operator API"));
}

static void
test_response_html_inside_string_is_fine (void)
{
  /* A caller name may contain anything; valid JSON-RPC is never a web page */
  g_autoptr (JsonNode) result = parse_ok ("{\"result\":{\"name\":\"<html> fan\"}}");

  g_assert_true (JSON_NODE_HOLDS_OBJECT (result));
}

static void
test_response_not_json_rpc (void)
{
  assert_parse_fails ("{\"status\":\"ok\"}", KC_KERIO_ERROR_NOT_KERIO);
  assert_parse_fails ("[1,2,3]", KC_KERIO_ERROR_NOT_KERIO);
  assert_parse_fails ("42", KC_KERIO_ERROR_NOT_KERIO);
  assert_parse_fails ("\"result\"", KC_KERIO_ERROR_NOT_KERIO);
}

static void
test_response_truncated (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) result =
    parse ("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"calls\":[{\"ID\":", &error);

  g_assert_null (result);
  g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_MALFORMED);
  g_assert_nonnull (strstr (error->message, "cut off or is not valid JSON"));
}

static void
test_response_malformed (void)
{
  assert_parse_fails ("{result: 1}", KC_KERIO_ERROR_MALFORMED);
  assert_parse_fails ("{\"result\":{}}}garbage", KC_KERIO_ERROR_MALFORMED);
  assert_parse_fails ("{\"result\":\"\xff\xfe\"}", KC_KERIO_ERROR_MALFORMED);
}

static void
test_response_empty (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) result = kc_kerio_parse_response (NULL, 0, &error);

  g_assert_null (result);
  g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_MALFORMED);
  assert_parse_fails ("", KC_KERIO_ERROR_MALFORMED);
  assert_parse_fails (" \n\t ", KC_KERIO_ERROR_MALFORMED);
}

static void
test_response_embedded_nul (void)
{
  static const char body[] = "{\"result\":{\"token\":\"a\0b\"}}";
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) result = kc_kerio_parse_response (body, sizeof body - 1, &error);

  g_assert_null (result);
  g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_MALFORMED);
}

static void
test_response_huge (void)
{
  gsize length = KC_KERIO_MAX_BODY_SIZE + 1;
  g_autofree char *body = g_malloc (length);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) result = NULL;

  memset (body, ' ', length);
  memcpy (body, "{\"result\":{}}", 13);
  result = kc_kerio_parse_response (body, length, &error);
  g_assert_null (result);
  g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_TOO_LARGE);
}

static void
test_response_deep_nesting (void)
{
  /* json-glib alone overflows the stack on this */
  gsize depth = 200000;
  g_autofree char *body = g_malloc (depth + 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) result = NULL;

  memset (body, '[', depth);
  body[depth] = '\0';
  result = kc_kerio_parse_response (body, depth, &error);
  g_assert_null (result);
  g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_MALFORMED);
}

static void
test_response_session_expired (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) result =
    parse ("{\"jsonrpc\":\"2.0\",\"id\":3,\"error\":{\"code\":-32001,"
           "\"message\":\"Session expired.\",\"data\":{}}}",
           &error);

  g_assert_null (result);
  g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_SESSION_EXPIRED);
  g_assert_nonnull (strstr (error->message, "Session expired."));
}

static void
test_response_session_expired_code_as_string (void)
{
  assert_parse_fails ("{\"error\":{\"code\":\"-32001\",\"message\":\"Session expired.\"}}",
                      KC_KERIO_ERROR_SESSION_EXPIRED);
}

static void
test_response_rpc_error (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) result =
    parse ("{\"error\":{\"code\":1000,\"message\":\"Invalid user name or password.\"}}", &error);

  g_assert_null (result);
  g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_RPC);
  g_assert_nonnull (strstr (error->message, "Invalid user name or password."));
  g_assert_nonnull (strstr (error->message, "1000"));
}

static void
test_response_rpc_error_parameters (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) result =
    parse ("{\"error\":{\"code\":-32602,\"message\":\"Value %1 is out of range %2.\","
           "\"data\":{\"messageParameters\":{\"positionalParameters\":[\"start\",500]}}}}",
           &error);

  g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_RPC);
  g_assert_nonnull (strstr (error->message, "Value start is out of range 500."));
}

static void
test_response_rpc_error_odd_shapes (void)
{
  assert_parse_fails ("{\"error\":\"Access denied\"}", KC_KERIO_ERROR_RPC);
  assert_parse_fails ("{\"error\":{}}", KC_KERIO_ERROR_RPC);
  assert_parse_fails ("{\"error\":{\"code\":{},\"message\":[1]}}", KC_KERIO_ERROR_RPC);
  assert_parse_fails ("{\"error\":true}", KC_KERIO_ERROR_RPC);
  assert_parse_fails ("{\"error\":{\"message\":\"%9 %1 %\","
                      "\"data\":{\"messageParameters\":{\"positionalParameters\":\"x\"}}}}",
                      KC_KERIO_ERROR_RPC);
}

static void
test_response_rpc_error_long_message (void)
{
  g_autoptr (GString) body = g_string_new ("{\"error\":{\"code\":1,\"message\":\"");
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) result = NULL;

  for (guint i = 0; i < 5000; i++)
    g_string_append (body, "ü");
  g_string_append (body, "\"}}");
  result = parse (body->str, &error);
  g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_RPC);
  g_assert_cmpuint (strlen (error->message), <, 1000);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
}

static void
test_response_result_errors (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) result =
    parse ("{\"result\":{\"errors\":[{\"code\":8000,\"message\":\"Recording not found\"}]}}",
           &error);

  g_assert_null (result);
  g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_RPC);
  g_assert_nonnull (strstr (error->message, "Recording not found"));

  assert_parse_fails ("{\"result\":{\"errors\":[{\"code\":-32001,"
                      "\"message\":\"Session expired.\"}]}}",
                      KC_KERIO_ERROR_SESSION_EXPIRED);
}

static void
test_response_empty_result_errors (void)
{
  g_autoptr (JsonNode) result = parse_ok ("{\"result\":{\"errors\":[],\"calls\":[]}}");

  g_assert_true (JSON_NODE_HOLDS_OBJECT (result));
}

/* --- Active calls --- */

static void
test_calls_full (void)
{
  g_autoptr (GPtrArray) calls = parse_calls (
    "{\"result\":{\"calls\":[{\"ID\":\"c1\",\"FROM\":{\"NUMBER\":\"+998901234567\","
    "\"NAME\":\"Aziz\"},\"TO\":{\"NUMBER\":\"1001\",\"NAME\":\"Reception\"},"
    "\"STATUS\":\"Ringing\",\"ANSWERED_DURATION\":0,\"CALL_DURATION\":7,"
    "\"SOMETHING_NEW\":{\"x\":[1,2]}}],\"totalItems\":1,\"extra\":true}}");
  KcActiveCall *call;

  g_assert_cmpuint (calls->len, ==, 1);
  call = g_ptr_array_index (calls, 0);
  g_assert_cmpstr (call->id, ==, "c1");
  g_assert_cmpstr (call->from_number, ==, "+998901234567");
  g_assert_cmpstr (call->from_name, ==, "Aziz");
  g_assert_cmpstr (call->to_number, ==, "1001");
  g_assert_cmpstr (call->to_name, ==, "Reception");
  g_assert_cmpstr (call->status, ==, "Ringing");
  g_assert_cmpint (call->answered_duration, ==, 0);
  g_assert_cmpint (call->call_duration, ==, 7);
  g_assert_false (kc_active_call_is_connected (call));
}

static void
test_calls_numbers_as_strings (void)
{
  g_autoptr (GPtrArray) calls = parse_calls (
    "{\"result\":{\"calls\":[{\"ID\":17,\"FROM\":{\"NUMBER\":998901234567},"
    "\"TO\":{\"NUMBER\":\"1001\"},\"STATUS\":1,\"ANSWERED_DURATION\":\"12\","
    "\"CALL_DURATION\":\" 20.9 \"}]}}");
  KcActiveCall *call = g_ptr_array_index (calls, 0);

  g_assert_cmpstr (call->id, ==, "17");
  g_assert_cmpstr (call->from_number, ==, "998901234567");
  g_assert_cmpstr (call->status, ==, "1");
  g_assert_cmpint (call->answered_duration, ==, 12);
  g_assert_cmpint (call->call_duration, ==, 20);
  g_assert_true (kc_active_call_is_connected (call));
}

static void
test_calls_missing_fields (void)
{
  g_autoptr (GPtrArray) calls = parse_calls ("{\"result\":{\"calls\":[{}]}}");
  KcActiveCall *call = g_ptr_array_index (calls, 0);

  g_assert_null (call->id);
  g_assert_null (call->from_number);
  g_assert_null (call->from_name);
  g_assert_null (call->to_number);
  g_assert_null (call->to_name);
  g_assert_null (call->status);
  g_assert_cmpint (call->answered_duration, ==, -1);
  g_assert_cmpint (call->call_duration, ==, -1);
  g_assert_false (kc_active_call_is_connected (call));
}

/* What the PBX sends every second is read without a tree; an odd party is
 * left to the tree, with the same result */
static void
test_calls_one_pass (void)
{
  static const char plain[] =
    "{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{\"calls\":[{\"ID\":\"c1\",\"FROM\":"
    "{\"NUMBER\":\"+998901234567\",\"NAME\":\"Aziz\",\"TYPE\":1},\"TO\":\"1001\","
    "\"STATUS\":\"Answered\",\"ANSWERED_DURATION\":\"4\",\"CALL_DURATION\":9}],"
    "\"totalItems\":1}}";
  static const char twice[] =
    "{\"result\":{\"calls\":[{\"FROM\":{\"NUMBER\":\"1\",\"NUMBER\":\"2\"}}]}}";
  g_autoptr (KcKerioPageAnswer) alone = kc_kerio_stream_call_page (plain, strlen (plain));
  g_autoptr (KcKerioPageAnswer) odd = kc_kerio_stream_call_page (twice, strlen (twice));
  g_autoptr (GPtrArray) calls = parse_calls (plain);
  g_autoptr (GPtrArray) last_wins = parse_calls (twice);
  KcActiveCall *call;

  g_assert_nonnull (alone);
  g_assert_null (odd);
  call = g_ptr_array_index (alone->rows, 0);
  g_assert_cmpstr (call->id, ==, "c1");
  g_assert_cmpstr (call->from_number, ==, "+998901234567");
  g_assert_cmpstr (call->from_name, ==, "Aziz");
  g_assert_cmpstr (call->to_number, ==, "1001");
  g_assert_null (call->to_name);
  g_assert_cmpstr (call->status, ==, "Answered");
  g_assert_cmpint (call->answered_duration, ==, 4);
  g_assert_cmpint (call->call_duration, ==, 9);
  g_assert_cmpstr (((KcActiveCall *) g_ptr_array_index (last_wins, 0))->from_number, ==, "2");
}

static void
test_calls_flat_party (void)
{
  g_autoptr (GPtrArray) calls =
    parse_calls ("{\"result\":{\"calls\":[{\"FROM\":\"1002\",\"TO\":[\"x\"]}]}}");
  KcActiveCall *call = g_ptr_array_index (calls, 0);

  g_assert_cmpstr (call->from_number, ==, "1002");
  g_assert_null (call->to_number);
}

static void
test_calls_rows_not_objects (void)
{
  g_autoptr (GPtrArray) calls =
    parse_calls ("{\"result\":{\"calls\":[1,\"x\",null,[],{\"ID\":\"ok\"},true]}}");

  g_assert_cmpuint (calls->len, ==, 1);
  g_assert_cmpstr (((KcActiveCall *) g_ptr_array_index (calls, 0))->id, ==, "ok");
}

static void
test_calls_wrong_shape (void)
{
  static const char *const bodies[] = {
    "{\"result\":{\"calls\":\"x\"}}",
    "{\"result\":{\"calls\":{}}}",
    "{\"result\":{}}",
    "{\"result\":[]}",
    "{\"result\":null}",
    "{\"result\":\"calls\"}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr (JsonNode) result = parse_ok (bodies[i]);
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) calls = kc_kerio_parse_active_calls (result, &error);

      g_assert_null (calls);
      g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_MALFORMED);
    }
}

static void
test_calls_wrong_field_types (void)
{
  g_autoptr (GPtrArray) calls = parse_calls (
    "{\"result\":{\"calls\":[{\"ID\":{},\"FROM\":{\"NUMBER\":[],\"NAME\":false},"
    "\"STATUS\":{\"a\":1},\"ANSWERED_DURATION\":\"soon\",\"CALL_DURATION\":[5]}]}}");
  KcActiveCall *call = g_ptr_array_index (calls, 0);

  g_assert_null (call->id);
  g_assert_null (call->from_number);
  g_assert_null (call->from_name);
  g_assert_null (call->status);
  g_assert_cmpint (call->answered_duration, ==, -1);
  g_assert_cmpint (call->call_duration, ==, -1);
}

static void
test_calls_lone_surrogate (void)
{
  g_autoptr (GPtrArray) calls =
    parse_calls ("{\"result\":{\"calls\":[{\"FROM\":{\"NAME\":\"a\\ud800b\"}}]}}");
  KcActiveCall *call = g_ptr_array_index (calls, 0);

  g_assert_nonnull (call->from_name);
  g_assert_true (g_utf8_validate (call->from_name, -1, NULL));
}

static void
test_status_rules (void)
{
  KcActiveCall call = { .answered_duration = -1, .call_duration = 10 };
  static const char *const connected[] = {
    "1", " 1 ", "Answered", "UP", "up", "connected", " Talking ", "ANSWERED\t",
  };
  static const char *const ringing[] = { "0", "Ringing", "RINGING", " ring ", "Ring" };
  /* "4" is the history's answered and Asterisk's channel state Ring: no
   * source reads it as up in a live row */
  static const char *const unknown[] = {
    "4", "6", "2", "01", "1.0", "-1", "Dialing", "40", "", " ", "upx", "ringing1", "Busy",
  };

  for (guint i = 0; i < G_N_ELEMENTS (connected); i++)
    {
      call.status = (char *) connected[i];
      g_assert_cmpint (kc_active_call_get_status (&call), ==, KC_LIVE_STATUS_CONNECTED);
      g_assert_true (kc_active_call_is_connected (&call));
    }
  for (guint i = 0; i < G_N_ELEMENTS (ringing); i++)
    {
      call.status = (char *) ringing[i];
      g_assert_cmpint (kc_active_call_get_status (&call), ==, KC_LIVE_STATUS_RINGING);
      g_assert_false (kc_active_call_is_connected (&call));
    }
  for (guint i = 0; i < G_N_ELEMENTS (unknown); i++)
    {
      call.status = (char *) unknown[i];
      g_assert_cmpint (kc_active_call_get_status (&call), ==, KC_LIVE_STATUS_UNKNOWN);
      g_assert_false (kc_active_call_is_connected (&call));
    }
  call.status = NULL;
  g_assert_cmpint (kc_active_call_get_status (&call), ==, KC_LIVE_STATUS_MISSING);
  g_assert_false (kc_active_call_is_connected (&call));

  /* ANSWERED_DURATION says connected whatever STATUS says */
  call.status = (char *) "Ringing";
  call.answered_duration = 1;
  g_assert_true (kc_active_call_is_connected (&call));
  call.answered_duration = 0;
  g_assert_false (kc_active_call_is_connected (&call));
  call.status = (char *) "4";
  call.answered_duration = 2;
  g_assert_true (kc_active_call_is_connected (&call));
  call.status = NULL;
  call.answered_duration = 3;
  g_assert_true (kc_active_call_is_connected (&call));
}

/* STATUS as a JSON number reads as the same text as the string */
static void
test_status_numeric (void)
{
  g_autoptr (GPtrArray) calls = parse_calls (
    "{\"result\":{\"calls\":[{\"STATUS\":1},{\"STATUS\":1.0},{\"STATUS\":\"1\"},"
    "{\"STATUS\":0},{\"STATUS\":-0},{\"STATUS\":4},{\"STATUS\":4.0},{\"STATUS\":\"4\"},"
    "{\"STATUS\":1.5},{\"STATUS\":true},{\"STATUS\":null}]}}");
  static const KcLiveStatus expected[] = {
    KC_LIVE_STATUS_CONNECTED, KC_LIVE_STATUS_CONNECTED, KC_LIVE_STATUS_CONNECTED,
    KC_LIVE_STATUS_RINGING,   KC_LIVE_STATUS_RINGING,   KC_LIVE_STATUS_UNKNOWN,
    KC_LIVE_STATUS_UNKNOWN,   KC_LIVE_STATUS_UNKNOWN,   KC_LIVE_STATUS_UNKNOWN,
    KC_LIVE_STATUS_MISSING,   KC_LIVE_STATUS_MISSING,
  };

  g_assert_cmpuint (calls->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < calls->len; i++)
    {
      KcActiveCall *call = g_ptr_array_index (calls, i);

      g_assert_cmpint (kc_active_call_get_status (call), ==, expected[i]);
      g_assert_cmpint (kc_active_call_is_connected (call), ==,
                       expected[i] == KC_LIVE_STATUS_CONNECTED);
    }
}

/* The rows public integrations read from real appliances: lower-case id
 * (an Asterisk unique id), STATUS a string, no ANSWERED_DURATION, no NAME */
static void
test_calls_field_dialect (void)
{
  static const char *const bodies[] = {
    "{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{\"calls\":[{\"id\":\"1765123456.42\","
    "\"FROM\":{\"NUMBER\":\"+998901234567\"},\"TO\":{\"NUMBER\":\"1001\"},\"STATUS\":\"1\","
    "\"CALL_DURATION\":20}],\"totalItems\":1}}",
    /* the same with STATUS a number */
    "{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{\"calls\":[{\"id\":\"1765123456.42\","
    "\"FROM\":{\"NUMBER\":\"+998901234567\"},\"TO\":{\"NUMBER\":\"1001\"},\"STATUS\":1,"
    "\"CALL_DURATION\":20}],\"totalItems\":1}}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr (GPtrArray) calls = parse_calls_both (bodies[i], TRUE);
      KcActiveCall *call;

      g_assert_cmpuint (calls->len, ==, 1);
      call = g_ptr_array_index (calls, 0);
      g_assert_cmpstr (call->id, ==, "1765123456.42");
      g_assert_cmpstr (call->from_number, ==, "+998901234567");
      g_assert_null (call->from_name);
      g_assert_cmpstr (call->to_number, ==, "1001");
      g_assert_null (call->to_name);
      g_assert_cmpstr (call->status, ==, "1");
      g_assert_cmpint (call->answered_duration, ==, -1);
      g_assert_cmpint (call->call_duration, ==, 20);
      g_assert_cmpint (kc_active_call_get_status (call), ==, KC_LIVE_STATUS_CONNECTED);
      g_assert_true (kc_active_call_is_connected (call));
    }
}

/* "0" while it rings, string or number; the caller's leg and the callee's
 * leg of one external call are two rows */
static void
test_calls_field_dialect_ringing (void)
{
  g_autoptr (GPtrArray) calls = parse_calls_both (
    "{\"result\":{\"calls\":[{\"id\":\"1765123456.42\",\"FROM\":{\"NUMBER\":\"+998901234567\"},"
    "\"TO\":{\"NUMBER\":\"1001\"},\"STATUS\":\"0\",\"CALL_DURATION\":3},"
    "{\"id\":\"1765123456.43\",\"FROM\":{\"NUMBER\":\"+998901234567\"},"
    "\"TO\":{\"NUMBER\":\"1001\"},\"STATUS\":0,\"CALL_DURATION\":2}],\"totalItems\":2}}",
    TRUE);

  g_assert_cmpuint (calls->len, ==, 2);
  for (guint i = 0; i < calls->len; i++)
    {
      KcActiveCall *call = g_ptr_array_index (calls, i);

      g_assert_cmpstr (call->status, ==, "0");
      g_assert_cmpint (kc_active_call_get_status (call), ==, KC_LIVE_STATUS_RINGING);
      g_assert_false (kc_active_call_is_connected (call));
      g_assert_cmpint (call->call_duration, ==, 3 - (gint64) i);
    }
  g_assert_cmpstr (((KcActiveCall *) g_ptr_array_index (calls, 1))->id, ==, "1765123456.43");
}

/* Every name in any case, the result's too */
static void
test_calls_mixed_case (void)
{
  g_autoptr (GPtrArray) calls = parse_calls_both (
    "{\"result\":{\"Calls\":[{\"Id\":\"c7\",\"from\":{\"number\":\"+998901234567\","
    "\"Name\":\"Aziz\"},\"To\":{\"nUmBeR\":\"1001\",\"NAME\":\"Reception\"},"
    "\"Status\":\"Up\",\"answered_duration\":4,\"Call_Duration\":\"9\"},"
    "{\"ID\":\"c8\",\"from\":\"1002\",\"status\":\"ringing\"}],\"TOTALITEMS\":2}}",
    TRUE);
  KcActiveCall *call = g_ptr_array_index (calls, 0);

  g_assert_cmpuint (calls->len, ==, 2);
  g_assert_cmpstr (call->id, ==, "c7");
  g_assert_cmpstr (call->from_number, ==, "+998901234567");
  g_assert_cmpstr (call->from_name, ==, "Aziz");
  g_assert_cmpstr (call->to_number, ==, "1001");
  g_assert_cmpstr (call->to_name, ==, "Reception");
  g_assert_cmpstr (call->status, ==, "Up");
  g_assert_cmpint (call->answered_duration, ==, 4);
  g_assert_cmpint (call->call_duration, ==, 9);
  g_assert_cmpint (kc_active_call_get_status (call), ==, KC_LIVE_STATUS_CONNECTED);
  call = g_ptr_array_index (calls, 1);
  g_assert_cmpstr (call->id, ==, "c8");
  g_assert_cmpstr (call->from_number, ==, "1002");
  g_assert_cmpint (kc_active_call_get_status (call), ==, KC_LIVE_STATUS_RINGING);
}

/* A name given twice in different cases: the one-pass reader leaves the
 * row to the tree, where the spelling asked for wins, else the first */
static void
test_calls_name_in_two_cases (void)
{
  static const struct
  {
    const char *row;
    const char *id;
    const char *from;
  } cases[] = {
    { "{\"ID\":\"upper\",\"id\":\"lower\"}", "upper", NULL },
    { "{\"id\":\"lower\",\"ID\":\"upper\"}", "upper", NULL },
    { "{\"Id\":\"first\",\"iD\":\"second\"}", "first", NULL },
    { "{\"iD\":\"first\",\"Id\":\"second\",\"iD\":\"last\"}", "last", NULL },
    { "{\"ID\":{},\"id\":\"lower\"}", NULL, NULL },
    { "{\"from\":{\"number\":\"1\"},\"FROM\":\"2\"}", NULL, "2" },
    { "{\"FROM\":{\"number\":\"1\",\"NUMBER\":\"2\"}}", NULL, "2" },
    { "{\"FROM\":{\"Number\":\"1\",\"number\":\"2\"}}", NULL, "1" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"result\":{\"calls\":[%s]}}", cases[i].row);
      g_autoptr (GPtrArray) calls = parse_calls_both (body, FALSE);
      KcActiveCall *call = g_ptr_array_index (calls, 0);

      g_assert_cmpstr (call->id, ==, cases[i].id);
      g_assert_cmpstr (call->from_number, ==, cases[i].from);
    }
}

/* The result's members in two cases: the same rule */
static void
test_result_members_in_two_cases (void)
{
  g_autoptr (GPtrArray) calls = parse_calls_both (
    "{\"result\":{\"Calls\":[{\"ID\":\"other\"}],\"calls\":[{\"ID\":\"asked\"}]}}", FALSE);
  g_autoptr (KcKerioPageAnswer) page = NULL;
  g_autoptr (GError) error = NULL;
  const char *errors = "{\"result\":{\"calls\":[],\"Errors\":[{\"code\":1000,"
                       "\"message\":\"Bad\"}]}}";

  g_assert_cmpuint (calls->len, ==, 1);
  g_assert_cmpstr (((KcActiveCall *) g_ptr_array_index (calls, 0))->id, ==, "asked");

  /* result.errors in any case is an error, in both paths */
  assert_parse_fails (errors, KC_KERIO_ERROR_RPC);
  g_assert_null (kc_kerio_stream_call_page (errors, strlen (errors)));
  page = kc_kerio_parse_call_page (errors, strlen (errors), &error);
  g_assert_null (page);
  g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_RPC);

  /* the envelope is JSON-RPC's: "Result" is not the result */
  assert_parse_fails ("{\"Result\":{\"calls\":[]}}", KC_KERIO_ERROR_NOT_KERIO);
}

/* --- History --- */

static void
test_cdrs_full (void)
{
  gint64 total = 0;
  g_autoptr (GPtrArray) cdrs = parse_cdrs (
    "{\"result\":{\"callHistory\":[{\"ID\":\"r1\",\"TIMESTAMP\":1735732800,"
    "\"FROM_NUM\":\"+998901234567\",\"FROM_NAME\":\"Aziz\",\"TO_NUM\":\"1001\","
    "\"TO_NAME\":\"Reception\",\"FROM_TYPE\":2,\"STATUS\":4,\"CALL_DURATION\":65,"
    "\"ANSWERED_DURATION\":50}],\"totalItems\":1234}}",
    &total);
  KcCdr *cdr = g_ptr_array_index (cdrs, 0);
  g_autoptr (KcCdr) copy = kc_cdr_copy (cdr);

  g_assert_cmpint (total, ==, 1234);
  g_assert_cmpstr (cdr->id, ==, "r1");
  g_assert_cmpint (cdr->timestamp, ==, 1735732800);
  g_assert_cmpstr (cdr->from_number, ==, "+998901234567");
  g_assert_cmpstr (cdr->from_name, ==, "Aziz");
  g_assert_cmpstr (cdr->to_number, ==, "1001");
  g_assert_cmpstr (cdr->to_name, ==, "Reception");
  g_assert_cmpint (cdr->status, ==, 4);
  g_assert_cmpint (cdr->call_duration, ==, 65);
  g_assert_cmpint (cdr->answered_duration, ==, 50);

  g_assert_true (copy != cdr);
  g_assert_true (copy->id != cdr->id);
  g_assert_cmpstr (copy->id, ==, cdr->id);
  g_assert_cmpstr (copy->from_name, ==, cdr->from_name);
  g_assert_cmpstr (copy->to_name, ==, cdr->to_name);
  g_assert_cmpint (copy->timestamp, ==, cdr->timestamp);
  g_assert_cmpint (copy->status, ==, cdr->status);
}

static void
test_cdrs_numbers_as_strings (void)
{
  g_autoptr (GPtrArray) cdrs = parse_cdrs (
    "{\"result\":{\"callHistory\":[{\"TIMESTAMP\":\"1735732800\",\"STATUS\":\"3\","
    "\"CALL_DURATION\":\"65.9\",\"ANSWERED_DURATION\":1.0E1,\"FROM_NUM\":1001}],"
    "\"totalItems\":\"1\"}}",
    NULL);
  KcCdr *cdr = g_ptr_array_index (cdrs, 0);

  g_assert_cmpint (cdr->timestamp, ==, 1735732800);
  g_assert_cmpint (cdr->status, ==, 3);
  g_assert_cmpint (cdr->call_duration, ==, 65);
  g_assert_cmpint (cdr->answered_duration, ==, 10);
  g_assert_cmpstr (cdr->from_number, ==, "1001");
}

static void
test_cdrs_missing_fields (void)
{
  gint64 total = -5;
  g_autoptr (GPtrArray) cdrs =
    parse_cdrs ("{\"result\":{\"callHistory\":[{},{\"ID\":\"x\"},7]}}", &total);
  KcCdr *cdr = g_ptr_array_index (cdrs, 0);

  g_assert_cmpuint (cdrs->len, ==, 2);
  /* without totalItems, the rows are all there is */
  g_assert_cmpint (total, ==, 3);
  g_assert_null (cdr->id);
  g_assert_cmpint (cdr->timestamp, ==, -1);
  g_assert_null (cdr->from_number);
  g_assert_null (cdr->from_name);
  g_assert_null (cdr->to_number);
  g_assert_null (cdr->to_name);
  g_assert_cmpint (cdr->status, ==, 0);
  g_assert_cmpint (cdr->call_duration, ==, -1);
  g_assert_cmpint (cdr->answered_duration, ==, -1);
}

static void
test_cdrs_absurd_numbers (void)
{
  g_autoptr (GPtrArray) cdrs = parse_cdrs (
    "{\"result\":{\"callHistory\":[{\"TIMESTAMP\":-3,\"STATUS\":99999999999,"
    "\"CALL_DURATION\":1e300,\"ANSWERED_DURATION\":\"nan\"},"
    "{\"TIMESTAMP\":\"1e400\",\"STATUS\":-4,\"CALL_DURATION\":\"-inf\","
    "\"ANSWERED_DURATION\":\"0x\"}],\"totalItems\":-1}}",
    NULL);

  for (guint i = 0; i < cdrs->len; i++)
    {
      KcCdr *cdr = g_ptr_array_index (cdrs, i);

      g_assert_cmpint (cdr->timestamp, ==, -1);
      g_assert_cmpint (cdr->status, ==, 0);
      g_assert_cmpint (cdr->call_duration, ==, -1);
      g_assert_cmpint (cdr->answered_duration, ==, -1);
    }
}

static void
test_cdrs_wrong_shape (void)
{
  static const char *const bodies[] = {
    "{\"result\":{\"callHistory\":\"x\"}}",
    "{\"result\":{\"calls\":[]}}",
    "{\"result\":7}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr (JsonNode) result = parse_ok (bodies[i]);
      g_autoptr (GError) error = NULL;
      gint64 total = 0;
      g_autoptr (GPtrArray) cdrs = kc_kerio_parse_cdrs (result, &total, &error);

      g_assert_null (cdrs);
      g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_MALFORMED);
    }
}

/* --- Recordings --- */

static void
test_recordings (void)
{
  g_autoptr (JsonNode) result = parse_ok (
    "{\"result\":{\"recordingList\":[{\"ID\":\"rec-1\",\"NAME\":\"call.wav\","
    "\"EXTENSION\":\"1001\",\"CALLER_ID\":\"+998901234567\",\"DURATION\":\"50\","
    "\"STARTED\":1735732815},{}],\"totalItems\":2}}");
  g_autoptr (GError) error = NULL;
  gint64 total = 0;
  g_autoptr (GPtrArray) recordings = kc_kerio_parse_recordings (result, &total, &error);
  KcRecording *recording;

  g_assert_no_error (error);
  g_assert_cmpint (total, ==, 2);
  g_assert_cmpuint (recordings->len, ==, 2);
  recording = g_ptr_array_index (recordings, 0);
  g_assert_cmpstr (recording->id, ==, "rec-1");
  g_assert_cmpstr (recording->name, ==, "call.wav");
  g_assert_cmpstr (recording->extension, ==, "1001");
  g_assert_cmpstr (recording->caller_id, ==, "+998901234567");
  g_assert_cmpint (recording->duration, ==, 50);
  g_assert_cmpint (recording->started, ==, 1735732815);
  recording = g_ptr_array_index (recordings, 1);
  g_assert_null (recording->id);
  g_assert_cmpint (recording->duration, ==, -1);
  g_assert_cmpint (recording->started, ==, -1);
}

static void
test_recordings_wrong_shape (void)
{
  g_autoptr (JsonNode) result = parse_ok ("{\"result\":{\"recordingList\":null}}");
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) recordings = kc_kerio_parse_recordings (result, NULL, &error);

  g_assert_null (recordings);
  g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_MALFORMED);
}

/* --- The directory --- */

static const KcDirectoryEntry *
entry_at (GPtrArray *entries,
          guint      i)
{
  g_assert_cmpuint (i, <, entries->len);
  return g_ptr_array_index (entries, i);
}

/* As Kerio's SDK sample reads it; in lower case as the simulator's field
 * dialect sends it; in mixed case, and with telNum, the spelling Kerio's
 * Extensions.get has used; rows without a number or a name */
static void
test_directory (void)
{
  static const char *const bodies[] = {
    "{\"result\":{\"numberList\":[{\"TEL_NUM\":\"1001\",\"DESCRIPTION\":\"Nodira Usmonova\","
    "\"EXTENSION_TYPE_ID\":1},{\"TEL_NUM\":800,\"DESCRIPTION\":\" Sotuv boʻlimi \","
    "\"EXTENSION_TYPE_ID\":9},{\"TEL_NUM\":\"1003\",\"DESCRIPTION\":\"\"},{\"DESCRIPTION\":\"x\"},"
    "42],\"totalItems\":5}}",
    "{\"result\":{\"numberList\":[{\"tel_num\":\"1001\",\"description\":\"Nodira Usmonova\","
    "\"extension_type_id\":\"1\"},{\"tel_num\":\"800\",\"description\":\"Sotuv boʻlimi\"},"
    "{\"tel_num\":\"1003\"},{\"tel_num\":\"\",\"description\":\"x\"}],\"totalItems\":\"4\"}}",
    "{\"result\":{\"NumberList\":[{\"Tel_Num\":\"1001\",\"Description\":\"Nodira Usmonova\"},"
    "{\"telNum\":\" 800 \",\"description\":\"Sotuv boʻlimi\"},{\"TEL_num\":\"1003\","
    "\"DESCRIPTION\":null}]}}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr (JsonNode) result = parse_ok (bodies[i]);
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) entries = kc_kerio_parse_directory (result, &error);

      g_test_message ("%s", bodies[i]);
      g_assert_no_error (error);
      g_assert_cmpuint (entries->len, ==, 3);
      g_assert_cmpstr (entry_at (entries, 0)->number, ==, "1001");
      g_assert_cmpstr (entry_at (entries, 0)->name, ==, "Nodira Usmonova");
      g_assert_cmpstr (entry_at (entries, 1)->number, ==, "800");
      g_assert_cmpstr (entry_at (entries, 1)->name, ==, "Sotuv boʻlimi");
      g_assert_cmpstr (entry_at (entries, 2)->number, ==, "1003");
      g_assert_null (entry_at (entries, 2)->name);
    }
}

static void
test_directory_wrong_shape (void)
{
  static const char *const bodies[] = {
    "{\"result\":{\"numberList\":{}}}",
    "{\"result\":{\"totalItems\":0}}",
    "{\"result\":[]}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr (JsonNode) result = parse_ok (bodies[i]);
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) entries = kc_kerio_parse_directory (result, &error);

      g_assert_null (entries);
      g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_MALFORMED);
    }
}

static void
test_file_download (void)
{
  g_autoptr (JsonNode) result = parse_ok (
    "{\"result\":{\"fileDownload\":{\"url\":\"/admin/api/download/abc?x=1\","
    "\"name\":\"rec-1.wav\",\"length\":\"800044\"}}}");
  g_autoptr (GError) error = NULL;
  g_autoptr (KcFileDownload) download = kc_kerio_parse_file_download (result, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (download->url, ==, "/admin/api/download/abc?x=1");
  g_assert_cmpstr (download->name, ==, "rec-1.wav");
  g_assert_cmpint (download->length, ==, 800044);
}

static void
test_file_download_missing (void)
{
  static const char *const bodies[] = {
    "{\"result\":{\"fileDownload\":{\"name\":\"a.wav\"}}}",
    "{\"result\":{\"fileDownload\":{\"url\":\"\"}}}",
    "{\"result\":{\"fileDownload\":\"/admin/api/download/abc\"}}",
    "{\"result\":{}}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr (JsonNode) result = parse_ok (bodies[i]);
      g_autoptr (GError) error = NULL;
      g_autoptr (KcFileDownload) download = kc_kerio_parse_file_download (result, &error);

      g_assert_null (download);
      g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_MALFORMED);
    }
}

/* --- Tolerant readers --- */

static void
test_json_readers (void)
{
  g_autoptr (JsonNode) root = json_from_string (
    "{\"i\":5,\"s\":\"-7\",\"d\":2.9,\"nd\":-2.9,\"b\":true,\"x\":\"abc\",\"n\":null,"
    "\"o\":{},\"big\":\"99999999999999999999\",\"sp\":\" 12 \",\"e\":\"\"}",
    NULL);
  JsonObject *object = json_node_get_object (root);
  gint64 value = 0;
  g_autofree char *i = kc_kerio_json_dup_string (object, "i");
  g_autofree char *d = kc_kerio_json_dup_string (object, "d");
  g_autofree char *s = kc_kerio_json_dup_string (object, "s");

  g_assert_true (kc_kerio_json_get_int (object, "i", &value));
  g_assert_cmpint (value, ==, 5);
  g_assert_true (kc_kerio_json_get_int (object, "s", &value));
  g_assert_cmpint (value, ==, -7);
  g_assert_true (kc_kerio_json_get_int (object, "d", &value));
  g_assert_cmpint (value, ==, 2);
  g_assert_true (kc_kerio_json_get_int (object, "nd", &value));
  g_assert_cmpint (value, ==, -2);
  g_assert_true (kc_kerio_json_get_int (object, "b", &value));
  g_assert_cmpint (value, ==, 1);
  g_assert_true (kc_kerio_json_get_int (object, "sp", &value));
  g_assert_cmpint (value, ==, 12);
  g_assert_false (kc_kerio_json_get_int (object, "x", &value));
  g_assert_false (kc_kerio_json_get_int (object, "n", &value));
  g_assert_false (kc_kerio_json_get_int (object, "o", &value));
  g_assert_false (kc_kerio_json_get_int (object, "e", &value));
  g_assert_false (kc_kerio_json_get_int (object, "big", &value));
  g_assert_false (kc_kerio_json_get_int (object, "absent", &value));
  g_assert_false (kc_kerio_json_get_int (NULL, "i", &value));

  g_assert_cmpstr (i, ==, "5");
  g_assert_cmpstr (d, ==, "2.9");
  g_assert_cmpstr (s, ==, "-7");
  g_assert_null (kc_kerio_json_dup_string (object, "b"));
  g_assert_null (kc_kerio_json_dup_string (object, "n"));
  g_assert_null (kc_kerio_json_dup_string (object, "o"));
  g_assert_null (kc_kerio_json_dup_string (object, "absent"));
  g_assert_null (kc_kerio_json_dup_string (NULL, "i"));

  /* names in any case; the spelling asked for first, else the first one */
  g_assert_true (kc_kerio_json_get_int (object, "I", &value));
  g_assert_cmpint (value, ==, 5);
  g_assert_null (kc_kerio_json_get_member (object, "ab"));
  g_assert_null (kc_kerio_json_get_member (object, NULL));
  g_assert_null (kc_kerio_json_get_member (NULL, "i"));
  {
    g_autoptr (JsonNode) twice = json_from_string ("{\"Ab\":1,\"aB\":2,\"AB\":3}", NULL);
    JsonObject *two = json_node_get_object (twice);

    g_assert_true (kc_kerio_json_get_int (two, "AB", &value));
    g_assert_cmpint (value, ==, 3);
    g_assert_true (kc_kerio_json_get_int (two, "ab", &value));
    g_assert_cmpint (value, ==, 1);
    g_assert_true (kc_kerio_json_get_int (two, "aB", &value));
    g_assert_cmpint (value, ==, 2);
  }
}

/* Mangled versions of a real answer: whatever comes out, it is a result or
 * an error, never a crash, a critical or both. */
static void
test_mangled_answers (void)
{
  static const char answer[] =
    "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"callHistory\":[{\"ID\":\"r1\","
    "\"TIMESTAMP\":1735732800,\"FROM_NUM\":\"+998901234567\",\"TO_NUM\":\"1001\","
    "\"STATUS\":4,\"CALL_DURATION\":65,\"ANSWERED_DURATION\":50}],\"totalItems\":1,"
    "\"errors\":[]}}";
  static const char noise[] = "{}[]\",:0-9e.\\u<\xff ";

  for (guint round = 0; round < 3000; round++)
    {
      g_autofree char *body = g_strdup (answer);
      gsize length = strlen (body);
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonNode) result = NULL;
      guint n_changes = g_test_rand_int_range (1, 4);

      for (guint i = 0; i < n_changes; i++)
        {
          gsize at = g_test_rand_int_range (0, length);

          body[at] = noise[g_test_rand_int_range (0, sizeof noise - 1)];
        }
      if (g_test_rand_bit ())
        length = g_test_rand_int_range (0, length);

      result = kc_kerio_parse_response (body, length, &error);
      g_assert_true ((result == NULL) != (error == NULL));
      if (result != NULL)
        {
          g_autoptr (GPtrArray) cdrs = NULL;
          g_autoptr (GPtrArray) calls = NULL;
          g_autoptr (GPtrArray) recordings = NULL;
          g_autoptr (KcFileDownload) download = NULL;
          g_autoptr (GError) cdr_error = NULL;
          g_autoptr (GError) calls_error = NULL;
          g_autoptr (GError) recordings_error = NULL;
          g_autoptr (GError) download_error = NULL;
          gint64 total = 0;

          cdrs = kc_kerio_parse_cdrs (result, &total, &cdr_error);
          g_assert_true ((cdrs == NULL) != (cdr_error == NULL));
          calls = kc_kerio_parse_active_calls (result, &calls_error);
          g_assert_true ((calls == NULL) != (calls_error == NULL));
          recordings = kc_kerio_parse_recordings (result, &total, &recordings_error);
          g_assert_true ((recordings == NULL) != (recordings_error == NULL));
          download = kc_kerio_parse_file_download (result, &download_error);
          g_assert_true ((download == NULL) != (download_error == NULL));
        }
    }
}

/* --- TLS pins, fingerprints, file names --- */

#define PIN_HEX "ab01cd23ef45ab01cd23ef45ab01cd23ef45ab01cd23ef45ab01cd23ef45ab01"

static void
test_pin_normalize_good (void)
{
  static const char *const inputs[] = {
    PIN_HEX,
    "sha256:" PIN_HEX,
    "SHA256:AB:01:CD:23:EF:45:AB:01:CD:23:EF:45:AB:01:CD:23:EF:45:AB:01:CD:23:EF:45:AB:01:CD:23:"
    "EF:45:AB:01",
    "  Sha256:ab 01 cd 23 ef 45 ab 01 cd 23 ef 45 ab 01 cd 23 ef 45 ab 01 cd 23 ef 45 ab 01 cd 23 "
    "ef 45 ab 01  ",
    "AB01CD23EF45AB01CD23EF45AB01CD23EF45AB01CD23EF45AB01CD23EF45AB01",
  };

  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *pin = kc_tls_pin_normalize (inputs[i], &error);

      g_assert_no_error (error);
      g_assert_cmpstr (pin, ==, PIN_HEX);
    }
}

static void
test_pin_normalize_bad (void)
{
  static const char *const inputs[] = {
    "",
    "sha256:",
    "ab01cd",
    PIN_HEX "00",
    "sha1:" PIN_HEX,
    "zz01cd23ef45ab01cd23ef45ab01cd23ef45ab01cd23ef45ab01cd23ef45ab01",
    PIN_HEX "/",
    "sha256:sha256:" PIN_HEX,
  };

  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *pin = kc_tls_pin_normalize (inputs[i], &error);

      g_assert_null (pin);
      g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_FAILED);
      g_assert_nonnull (strstr (error->message, "SHA-256"));
    }
}

static void
test_fingerprint_format (void)
{
  g_autofree char *formatted = kc_tls_fingerprint_format ("ab01cd");
  g_autofree char *full = kc_tls_fingerprint_format (PIN_HEX);
  g_autofree char *back = kc_tls_pin_normalize (full, NULL);

  g_assert_cmpstr (formatted, ==, "AB:01:CD");
  g_assert_cmpuint (strlen (full), ==, 95);
  g_assert_cmpstr (back, ==, PIN_HEX);
}

static void
assert_safe_name (const char *name)
{
  g_assert_nonnull (name);
  g_assert_cmpuint (strlen (name), >, 0);
  g_assert_cmpuint (strlen (name), <=, 100);
  g_assert_cmpint (name[0], !=, '.');
  for (const char *p = name; *p != '\0'; p++)
    g_assert_true (g_ascii_isalnum (*p) || *p == '.' || *p == '_' || *p == '-');
}

static void
test_sanitize_file_name (void)
{
  static const char *const hostile[] = {
    "../../etc/passwd", "", ".hidden", "..", ".", "/", "a/b", "a\\b", "Ёзув-ўзбек",
    "rec\n1", "C:\\x", "a\xff\xfe", "-rf",
  };
  g_autofree char *plain = kc_sanitize_file_name ("rec-2025.01_ab");
  g_autofree char *null_name = kc_sanitize_file_name (NULL);
  g_autofree char *slash = kc_sanitize_file_name ("a/b");
  g_autofree char *underscore = kc_sanitize_file_name ("a_b");
  g_autofree char *long_id = g_strnfill (500, 'x');
  g_autofree char *long_name = kc_sanitize_file_name (long_id);
  g_autofree char *unicode = kc_sanitize_file_name ("ўзбек");

  /* Ids the PBX actually uses pass unchanged */
  g_assert_cmpstr (plain, ==, "rec-2025.01_ab");

  for (guint i = 0; i < G_N_ELEMENTS (hostile); i++)
    {
      g_autofree char *name = kc_sanitize_file_name (hostile[i]);

      assert_safe_name (name);
      g_assert_null (strstr (name, "/"));
      g_assert_cmpstr (name, !=, "..");
    }
  assert_safe_name (null_name);
  assert_safe_name (long_name);
  assert_safe_name (unicode);
  /* one stand-in per character, not per byte */
  g_assert_true (g_str_has_prefix (unicode, "_____-"));

  /* Two ids must not end up in the same file */
  g_assert_cmpstr (slash, !=, underscore);
  g_assert_cmpstr (underscore, ==, "a_b");
}

/* ------------------------------------------------------------------------ */
/* Pages read in one pass */

static gboolean
cdr_equal (const KcCdr *x,
           const KcCdr *y)
{
  return g_strcmp0 (x->id, y->id) == 0 && x->timestamp == y->timestamp
         && g_strcmp0 (x->from_number, y->from_number) == 0
         && g_strcmp0 (x->from_name, y->from_name) == 0
         && g_strcmp0 (x->to_number, y->to_number) == 0
         && g_strcmp0 (x->to_name, y->to_name) == 0 && x->status == y->status
         && x->call_duration == y->call_duration && x->answered_duration == y->answered_duration;
}

/* The page of body: the same rows and total as the tree path gives. Whether
 * the one-pass reader read it alone must be as expected. */
static KcKerioPageAnswer *
read_cdr_page (const char *body,
               gboolean    streamed)
{
  g_autoptr (KcKerioPageAnswer) alone = kc_kerio_stream_cdr_page (body, strlen (body));
  g_autoptr (GError) error = NULL;
  KcKerioPageAnswer *page = kc_kerio_parse_cdr_page (body, strlen (body), &error);
  g_autoptr (JsonNode) result = parse_ok (body);
  gint64 total = -1;
  g_autoptr (GPtrArray) cdrs = kc_kerio_parse_cdrs (result, &total, NULL);

  g_assert_no_error (error);
  g_assert_nonnull (page);
  g_assert_cmpint (alone != NULL, ==, streamed);
  g_assert_nonnull (cdrs);
  g_assert_cmpint (page->total_items, ==, total);
  g_assert_cmpuint (page->rows->len, ==, cdrs->len);
  for (guint i = 0; i < cdrs->len; i++)
    g_assert_true (cdr_equal (g_ptr_array_index (page->rows, i), g_ptr_array_index (cdrs, i)));
  return page;
}

static void
test_page_plain (void)
{
  /* As the simulator and the PBX write it */
  const char *body =
    "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"callHistory\":[{\"ID\":\"cdr-1\","
    "\"TIMESTAMP\":1735732800,\"FROM_NUM\":\"+998901234567\",\"FROM_NAME\":\"Aziz\","
    "\"TO_NUM\":\"1001\",\"TO_NAME\":\"Reception\",\"FROM_TYPE\":\"EXTERNAL\",\"STATUS\":4,"
    "\"CALL_DURATION\":65,\"ANSWERED_DURATION\":50},{\"TIMESTAMP\":1735732700,"
    "\"FROM_NUM\":\"1001\",\"TO_NUM\":\"1002\",\"STATUS\":3,\"CALL_DURATION\":30,"
    "\"ANSWERED_DURATION\":0}],\"totalItems\":1000000}}";
  g_autoptr (KcKerioPageAnswer) page = read_cdr_page (body, TRUE);
  KcCdr *cdr = g_ptr_array_index (page->rows, 0);
  gsize length;
  const char *first = g_bytes_get_data (page->first_row, &length);
  const char *sent = strstr (body, "{\"ID\":\"cdr-1\"");
  const char *sent_end = strstr (body, "},{\"TIMESTAMP\":1735732700") + 1;

  g_assert_cmpuint (page->rows->len, ==, 2);
  g_assert_cmpuint (page->n_raw, ==, 2);
  g_assert_true (page->total_known);
  g_assert_cmpint (page->total_items, ==, 1000000);
  g_assert_cmpstr (cdr->id, ==, "cdr-1");
  g_assert_cmpint (cdr->timestamp, ==, 1735732800);
  g_assert_cmpstr (cdr->from_name, ==, "Aziz");
  g_assert_cmpint (cdr->status, ==, 4);
  g_assert_cmpint (cdr->answered_duration, ==, 50);
  /* the first row as sent, which a server ignoring "start" sends again */
  g_assert_cmpmem (first, length, sent, sent_end - sent);
  cdr = g_ptr_array_index (page->rows, 1);
  g_assert_null (cdr->id);
  g_assert_null (cdr->from_name);
  g_assert_cmpint (cdr->answered_duration, ==, 0);
}

static void
test_page_tolerance (void)
{
  g_autoptr (KcKerioPageAnswer) page = NULL;
  KcCdr *cdr;

  /* numbers as strings, booleans, a number as a name, white space anywhere,
   * rows that are not objects, unknown members at any depth */
  page = read_cdr_page (
    " {\n\t\"error\" : null , \"result\" : { \"errors\" : [ ] , \"callHistory\" : [ 7 , "
    "{ \"TIMESTAMP\" : \" 1735732800 \" , \"STATUS\" : \"4\" , \"CALL_DURATION\" : \"65.9\" , "
    "\"ANSWERED_DURATION\" : true , \"FROM_NUM\" : 1001 , \"TO_NUM\" : -0 , \"FROM_NAME\" : "
    "false , \"TO_NAME\" : null , \"ID\" : { \"ID\" : \"x\" } , \"X\" : [ [ { \"a\" : [ 1.5e3 , "
    "\"\\\"\" ] } ] ] } , null , [ ] ] , \"totalItems\" : \"9\" } , \"jsonrpc\" : \"2.0\" }\r\n",
    TRUE);
  g_assert_cmpuint (page->n_raw, ==, 4);
  g_assert_cmpuint (page->rows->len, ==, 1);
  g_assert_cmpint (page->total_items, ==, 9);
  cdr = g_ptr_array_index (page->rows, 0);
  g_assert_cmpint (cdr->timestamp, ==, 1735732800);
  g_assert_cmpint (cdr->status, ==, 4);
  g_assert_cmpint (cdr->call_duration, ==, 65);
  g_assert_cmpint (cdr->answered_duration, ==, 1);
  g_assert_cmpstr (cdr->from_number, ==, "1001");
  g_assert_cmpstr (cdr->to_number, ==, "0");
  g_assert_null (cdr->from_name);
  g_assert_null (cdr->to_name);
  g_assert_null (cdr->id);
  g_clear_pointer (&page, kc_kerio_page_answer_free);

  /* no totalItems, or a negative one: the rows of the page, objects or not */
  page = read_cdr_page ("{\"result\":{\"callHistory\":[{},1]}}", TRUE);
  g_assert_false (page->total_known);
  g_assert_cmpint (page->total_items, ==, 2);
  g_clear_pointer (&page, kc_kerio_page_answer_free);
  page = read_cdr_page ("{\"result\":{\"callHistory\":[{}],\"totalItems\":-5}}", TRUE);
  g_assert_true (page->total_known);
  g_assert_cmpint (page->total_items, ==, 1);
  g_clear_pointer (&page, kc_kerio_page_answer_free);
  page = read_cdr_page ("{\"result\":{\"callHistory\":[]}}", TRUE);
  g_assert_cmpuint (page->n_raw, ==, 0);
  g_assert_null (page->first_row);
  g_clear_pointer (&page, kc_kerio_page_answer_free);

  /* negative durations and absurd statuses are as good as missing */
  page = read_cdr_page ("{\"result\":{\"callHistory\":[{\"TIMESTAMP\":-1,\"STATUS\":"
                        "2147483648,\"CALL_DURATION\":-7,\"ANSWERED_DURATION\":"
                        "999999999999999999}]}}",
                        TRUE);
  cdr = g_ptr_array_index (page->rows, 0);
  g_assert_cmpint (cdr->timestamp, ==, -1);
  g_assert_cmpint (cdr->status, ==, 0);
  g_assert_cmpint (cdr->call_duration, ==, -1);
  g_assert_cmpint (cdr->answered_duration, ==, 999999999999999999);
}

static void
test_page_escapes (void)
{
  g_autoptr (KcKerioPageAnswer) page = NULL;
  KcCdr *cdr;

  /* escaped member names count as the names they spell */
  page = read_cdr_page (
    "{\"result\":{\"callHistory\":[{\"I\\u0044\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\","
    "\"FROM_NAME\":\"O\\u02BBzbek \\u0422\\u043e\\u0448\\u043a\\u0435\\u043d\\u0442 "
    "\\ud83d\\ude00 \\uDBFF\\uDFFF\",\"TO_NAME\":\"Ташкент ☎ 😀\"}]}}",
    TRUE);
  cdr = g_ptr_array_index (page->rows, 0);
  g_assert_cmpstr (cdr->id, ==, "a\"b\\c/d\b\f\n\r\t");
  g_assert_cmpstr (cdr->from_name, ==, "Oʻzbek Тошкент 😀 \xf4\x8f\xbf\xbf");
  g_assert_cmpstr (cdr->to_name, ==, "Ташкент ☎ 😀");
}

static void
test_page_left_to_tree (void)
{
  g_autoptr (KcKerioPageAnswer) page = NULL;
  KcCdr *cdr;

  /* A lone surrogate: json-glib lets it through as broken UTF-8, which the
   * reader of the tree makes valid */
  page = read_cdr_page ("{\"result\":{\"callHistory\":[{\"FROM_NAME\":\"a\\ud83db\"}]}}", FALSE);
  cdr = g_ptr_array_index (page->rows, 0);
  g_assert_true (g_utf8_validate (cdr->from_name, -1, NULL));
  g_assert_true (g_str_has_prefix (cdr->from_name, "a\xef\xbf\xbd"));
  g_clear_pointer (&page, kc_kerio_page_answer_free);

  /* \u0000 ends the string in json-glib */
  page = read_cdr_page ("{\"result\":{\"callHistory\":[{\"ID\":\"ab\\u0000cd\"}]}}", FALSE);
  g_assert_cmpstr (((KcCdr *) g_ptr_array_index (page->rows, 0))->id, ==, "ab");
  g_clear_pointer (&page, kc_kerio_page_answer_free);

  /* the last of two members wins */
  page = read_cdr_page ("{\"result\":{\"callHistory\":[{\"ID\":\"1\",\"ID\":\"2\"}]}}", FALSE);
  g_assert_cmpstr (((KcCdr *) g_ptr_array_index (page->rows, 0))->id, ==, "2");
  g_clear_pointer (&page, kc_kerio_page_answer_free);

  /* fractions and integers past 18 digits: json-glib's conversion */
  page = read_cdr_page ("{\"result\":{\"callHistory\":[{\"STATUS\":4.0,\"TO_NUM\":2.9,"
                        "\"FROM_NUM\":12345678901234567890}]}}",
                        FALSE);
  cdr = g_ptr_array_index (page->rows, 0);
  g_assert_cmpint (cdr->status, ==, 4);
  g_assert_cmpstr (cdr->to_number, ==, "2.9");
  g_clear_pointer (&page, kc_kerio_page_answer_free);

  /* JSON that is not strict but that json-glib takes: control characters in
   * strings, single quotes, hexadecimal, a second document after the first */
  g_clear_pointer (&page, kc_kerio_page_answer_free);
  page = read_cdr_page ("{\"result\":{\"callHistory\":[{\"ID\":\"a\x01\"}]}}", FALSE);
  g_clear_pointer (&page, kc_kerio_page_answer_free);
  page = read_cdr_page ("{\"result\":{\"callHistory\":[{\"ID\":'x',\"STATUS\":0x4}]}}", FALSE);
  g_assert_cmpint (((KcCdr *) g_ptr_array_index (page->rows, 0))->status, ==, 4);
  g_clear_pointer (&page, kc_kerio_page_answer_free);
  page = read_cdr_page ("{\"result\":{\"callHistory\":[]}}{}", FALSE);
}

static void
assert_page_fails (const char *body,
                   gsize       length,
                   int         code)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) tree_error = NULL;
  g_autoptr (KcKerioPageAnswer) alone = kc_kerio_stream_cdr_page (body, length);
  g_autoptr (KcKerioPageAnswer) page = kc_kerio_parse_cdr_page (body, length, &error);
  g_autoptr (JsonNode) result = kc_kerio_parse_response (body, length, &tree_error);
  g_autoptr (GPtrArray) cdrs = NULL;

  if (result != NULL)
    cdrs = kc_kerio_parse_cdrs (result, NULL, &tree_error);
  g_assert_null (alone);
  g_assert_null (page);
  g_assert_null (cdrs);
  g_assert_error (error, KC_KERIO_ERROR, code);
  g_assert_error (tree_error, KC_KERIO_ERROR, code);
  g_assert_cmpstr (error->message, ==, tree_error->message);
}

static void
test_page_errors (void)
{
  static const char *const malformed[] = {
    "", " ", "{", "{\"result\":{\"callHistory\":[{\"ID\":\"1\"}", "{\"result\":{\"callHistory\":[1,]}}",
    "{\"result\":{\"callHistory\":[{\"ID\":\"1\",}]}}", "{\"result\":{\"callHistory\":[{\"ID\" \"1\"}]}}",
    "{\"result\":{\"callHistory\":[{\"ID\":\"1}]}}", "{\"result\":{\"callHistory\":[nul]}}",
    "{\"result\":{\"callHistory\":[1e]}}", "{\"result\":{\"callHistory\":[{\"ID\":\"\xff\"}]}}",
    "{\"result\":{\"callHistory\":[{\"ID\":\"\xed\xa0\x80\"}]}}", "{\"result\":{\"callHistory\":[-]}}",
    "{\"result\":{\"callHistory\":[\"\\ud83d\"]}}", "{\"result\":{\"callHistory\":[\"\\u12\"]}}",
    /* the shape */
    "{\"result\":{}}", "{\"result\":{\"callHistory\":{}}}", "{\"result\":[]}",
    "{\"result\":{\"callHistory\":null}}",
  };
  g_autofree char *deep = NULL;
  g_autofree char *huge = NULL;
  GString *nested;

  for (guint i = 0; i < G_N_ELEMENTS (malformed); i++)
    assert_page_fails (malformed[i], strlen (malformed[i]), KC_KERIO_ERROR_MALFORMED);

  assert_page_fails ("{\"jsonrpc\":\"2.0\"}", 17, KC_KERIO_ERROR_NOT_KERIO);
  assert_page_fails ("[1]", 3, KC_KERIO_ERROR_NOT_KERIO);
  assert_page_fails ("<html><body>Login</body></html>", 31, KC_KERIO_ERROR_NOT_KERIO);
  assert_page_fails ("{\"result\":{\"callHistory\":[]},\"error\":{\"code\":-32001,"
                     "\"message\":\"Session expired.\"}}",
                     strlen ("{\"result\":{\"callHistory\":[]},\"error\":{\"code\":-32001,"
                             "\"message\":\"Session expired.\"}}"),
                     KC_KERIO_ERROR_SESSION_EXPIRED);
  assert_page_fails ("{\"result\":{\"callHistory\":[],\"errors\":[{\"code\":1000,"
                     "\"message\":\"Bad %1\",\"data\":{\"messageParameters\":"
                     "{\"positionalParameters\":[\"query\"]}}}]}}",
                     strlen ("{\"result\":{\"callHistory\":[],\"errors\":[{\"code\":1000,"
                             "\"message\":\"Bad %1\",\"data\":{\"messageParameters\":"
                             "{\"positionalParameters\":[\"query\"]}}}]}}"),
                     KC_KERIO_ERROR_RPC);

  /* 256 levels are read in one pass, 257 are too deep for either path */
  nested = g_string_new ("{\"result\":{\"callHistory\":[{\"X\":");
  for (guint i = 0; i < 252; i++)
    g_string_append_c (nested, '[');
  for (guint i = 0; i < 252; i++)
    g_string_append_c (nested, ']');
  g_string_append (nested, "}]}}");
  g_clear_pointer (&huge, g_free);
  {
    g_autoptr (KcKerioPageAnswer) page = read_cdr_page (nested->str, TRUE);

    g_assert_cmpuint (page->rows->len, ==, 1);
  }
  g_string_insert_c (nested, strlen ("{\"result\":{\"callHistory\":[{\"X\":"), '[');
  g_string_insert_c (nested, nested->len - 4, ']');
  assert_page_fails (nested->str, nested->len, KC_KERIO_ERROR_MALFORMED);
  g_string_free (nested, TRUE);

  /* a million open brackets: no recursion in either path */
  deep = g_strnfill (1000000, '[');
  assert_page_fails (deep, 1000000, KC_KERIO_ERROR_MALFORMED);

  huge = g_strnfill (KC_KERIO_MAX_BODY_SIZE + 1, ' ');
  assert_page_fails (huge, KC_KERIO_MAX_BODY_SIZE + 1, KC_KERIO_ERROR_TOO_LARGE);
}

static void
test_page_recordings (void)
{
  const char *body =
    "{\"result\":{\"recordingList\":[{\"ID\":\"rec-1\",\"NAME\":\"call.wav\","
    "\"EXTENSION\":\"1001\",\"CALLER_ID\":\"+998901234567\",\"DURATION\":\"50\","
    "\"STARTED\":1735732815},{},\"x\"],\"totalItems\":3}}";
  g_autoptr (KcKerioPageAnswer) alone = kc_kerio_stream_recording_page (body, strlen (body));
  g_autoptr (GError) error = NULL;
  g_autoptr (KcKerioPageAnswer) page = kc_kerio_parse_recording_page (body, strlen (body), &error);
  KcRecording *recording;

  g_assert_no_error (error);
  g_assert_nonnull (alone);
  g_assert_cmpuint (page->n_raw, ==, 3);
  g_assert_cmpuint (page->rows->len, ==, 2);
  g_assert_cmpint (page->total_items, ==, 3);
  recording = g_ptr_array_index (page->rows, 0);
  g_assert_cmpstr (recording->id, ==, "rec-1");
  g_assert_cmpstr (recording->name, ==, "call.wav");
  g_assert_cmpstr (recording->extension, ==, "1001");
  g_assert_cmpstr (recording->caller_id, ==, "+998901234567");
  g_assert_cmpint (recording->duration, ==, 50);
  g_assert_cmpint (recording->started, ==, 1735732815);
  recording = g_ptr_array_index (page->rows, 1);
  g_assert_null (recording->id);
  g_assert_cmpint (recording->duration, ==, -1);
  g_assert_cmpint (recording->started, ==, -1);

  /* a CDR page is no recording page */
  g_clear_pointer (&page, kc_kerio_page_answer_free);
  page = kc_kerio_parse_recording_page ("{\"result\":{\"callHistory\":[]}}", 29, &error);
  g_assert_null (page);
  g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_MALFORMED);
}

/* CallHistory.get in lower case, and in mixed case, read as in upper case */
static void
test_page_cdrs_any_case (void)
{
  static const char *const bodies[] = {
    "{\"result\":{\"callhistory\":[{\"id\":\"r1\",\"timestamp\":1735732800,"
    "\"from_num\":\"+998901234567\",\"from_name\":\"Aziz\",\"to_num\":\"1001\","
    "\"to_name\":\"Reception\",\"status\":4,\"call_duration\":65,"
    "\"answered_duration\":50}],\"totalitems\":7}}",
    "{\"result\":{\"CallHistory\":[{\"Id\":\"r1\",\"TimeStamp\":\"1735732800\","
    "\"From_Num\":\"+998901234567\",\"FROM_name\":\"Aziz\",\"To_num\":1001,"
    "\"TO_NAME\":\"Reception\",\"Status\":\"4\",\"Call_Duration\":65,"
    "\"ANSWERED_duration\":\"50\"}],\"TotalItems\":\"7\"}}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr (KcKerioPageAnswer) page = read_cdr_page (bodies[i], TRUE);
      KcCdr *cdr = g_ptr_array_index (page->rows, 0);

      g_assert_true (page->total_known);
      g_assert_cmpint (page->total_items, ==, 7);
      g_assert_cmpuint (page->n_raw, ==, 1);
      g_assert_cmpstr (cdr->id, ==, "r1");
      g_assert_cmpint (cdr->timestamp, ==, 1735732800);
      g_assert_cmpstr (cdr->from_number, ==, "+998901234567");
      g_assert_cmpstr (cdr->from_name, ==, "Aziz");
      g_assert_cmpstr (cdr->to_number, ==, "1001");
      g_assert_cmpstr (cdr->to_name, ==, "Reception");
      g_assert_cmpint (cdr->status, ==, 4);
      g_assert_cmpint (cdr->call_duration, ==, 65);
      g_assert_cmpint (cdr->answered_duration, ==, 50);
    }
}

/* The rule for a name in two cases holds in CDR rows and for totalItems */
static void
test_page_cdrs_names_in_two_cases (void)
{
  g_autoptr (KcKerioPageAnswer) page = NULL;
  KcCdr *cdr;

  page = read_cdr_page ("{\"result\":{\"callHistory\":[{\"status\":3,\"STATUS\":4,"
                        "\"to_num\":\"1\",\"To_Num\":\"2\"}]}}",
                        FALSE);
  cdr = g_ptr_array_index (page->rows, 0);
  g_assert_cmpint (cdr->status, ==, 4);
  g_assert_cmpstr (cdr->to_number, ==, "1");
  g_clear_pointer (&page, kc_kerio_page_answer_free);

  page = read_cdr_page ("{\"result\":{\"callHistory\":[],\"TotalItems\":5,"
                        "\"totalItems\":9}}",
                        FALSE);
  g_assert_cmpint (page->total_items, ==, 9);
  g_clear_pointer (&page, kc_kerio_page_answer_free);

  page = read_cdr_page ("{\"result\":{\"callhistory\":[{}],\"callHistory\":[]}}", FALSE);
  g_assert_cmpuint (page->n_raw, ==, 0);
}

static void
test_page_recordings_any_case (void)
{
  const char *body =
    "{\"result\":{\"recordinglist\":[{\"id\":\"rec-1\",\"name\":\"call.wav\","
    "\"extension\":\"1001\",\"caller_id\":\"+998901234567\",\"duration\":50,"
    "\"started\":1735732815},{\"Id\":\"rec-2\",\"Caller_ID\":\"1002\",\"Started\":\"5\"}],"
    "\"totalitems\":2}}";
  g_autoptr (KcKerioPageAnswer) alone = kc_kerio_stream_recording_page (body, strlen (body));
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) result = parse_ok (body);
  gint64 total = 0;
  g_autoptr (GPtrArray) recordings = kc_kerio_parse_recordings (result, &total, &error);

  g_assert_no_error (error);
  g_assert_nonnull (alone);
  g_assert_cmpint (total, ==, 2);
  g_assert_cmpint (alone->total_items, ==, 2);
  g_assert_cmpuint (recordings->len, ==, 2);
  g_assert_cmpuint (alone->rows->len, ==, 2);
  for (guint i = 0; i < recordings->len; i++)
    {
      KcRecording *x = g_ptr_array_index (alone->rows, i);
      KcRecording *y = g_ptr_array_index (recordings, i);

      g_assert_cmpstr (x->id, ==, y->id);
      g_assert_cmpstr (x->name, ==, y->name);
      g_assert_cmpstr (x->extension, ==, y->extension);
      g_assert_cmpstr (x->caller_id, ==, y->caller_id);
      g_assert_cmpint (x->duration, ==, y->duration);
      g_assert_cmpint (x->started, ==, y->started);
    }
  g_assert_cmpstr (((KcRecording *) g_ptr_array_index (recordings, 0))->id, ==, "rec-1");
  g_assert_cmpstr (((KcRecording *) g_ptr_array_index (recordings, 0))->name, ==, "call.wav");
  g_assert_cmpstr (((KcRecording *) g_ptr_array_index (recordings, 0))->extension, ==, "1001");
  g_assert_cmpstr (((KcRecording *) g_ptr_array_index (recordings, 0))->caller_id, ==,
                   "+998901234567");
  g_assert_cmpint (((KcRecording *) g_ptr_array_index (recordings, 0))->duration, ==, 50);
  g_assert_cmpint (((KcRecording *) g_ptr_array_index (recordings, 0))->started, ==, 1735732815);
  g_assert_cmpstr (((KcRecording *) g_ptr_array_index (recordings, 1))->id, ==, "rec-2");
  g_assert_cmpstr (((KcRecording *) g_ptr_array_index (recordings, 1))->caller_id, ==, "1002");
  g_assert_cmpint (((KcRecording *) g_ptr_array_index (recordings, 1))->started, ==, 5);
}

static void
test_file_download_any_case (void)
{
  g_autoptr (JsonNode) result = parse_ok (
    "{\"result\":{\"FileDownload\":{\"URL\":\"/admin/api/download/abc\","
    "\"Name\":\"rec-1.wav\",\"LENGTH\":12}}}");
  g_autoptr (GError) error = NULL;
  g_autoptr (KcFileDownload) download = kc_kerio_parse_file_download (result, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (download->url, ==, "/admin/api/download/abc");
  g_assert_cmpstr (download->name, ==, "rec-1.wav");
  g_assert_cmpint (download->length, ==, 12);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/kerio-parse/response/result", test_response_result);
  g_test_add_func ("/kerio-parse/response/null-error", test_response_null_error_is_no_error);
  g_test_add_func ("/kerio-parse/response/html", test_response_html);
  g_test_add_func ("/kerio-parse/response/html-message", test_response_html_message);
  g_test_add_func ("/kerio-parse/response/html-inside-string",
                   test_response_html_inside_string_is_fine);
  g_test_add_func ("/kerio-parse/response/not-json-rpc", test_response_not_json_rpc);
  g_test_add_func ("/kerio-parse/response/truncated", test_response_truncated);
  g_test_add_func ("/kerio-parse/response/malformed", test_response_malformed);
  g_test_add_func ("/kerio-parse/response/empty", test_response_empty);
  g_test_add_func ("/kerio-parse/response/embedded-nul", test_response_embedded_nul);
  g_test_add_func ("/kerio-parse/response/huge", test_response_huge);
  g_test_add_func ("/kerio-parse/response/deep-nesting", test_response_deep_nesting);
  g_test_add_func ("/kerio-parse/response/session-expired", test_response_session_expired);
  g_test_add_func ("/kerio-parse/response/session-expired-string-code",
                   test_response_session_expired_code_as_string);
  g_test_add_func ("/kerio-parse/response/rpc-error", test_response_rpc_error);
  g_test_add_func ("/kerio-parse/response/rpc-error-parameters",
                   test_response_rpc_error_parameters);
  g_test_add_func ("/kerio-parse/response/rpc-error-odd-shapes",
                   test_response_rpc_error_odd_shapes);
  g_test_add_func ("/kerio-parse/response/rpc-error-long-message",
                   test_response_rpc_error_long_message);
  g_test_add_func ("/kerio-parse/response/result-errors", test_response_result_errors);
  g_test_add_func ("/kerio-parse/response/empty-result-errors", test_response_empty_result_errors);
  g_test_add_func ("/kerio-parse/response/mangled", test_mangled_answers);
  g_test_add_func ("/kerio-parse/calls/full", test_calls_full);
  g_test_add_func ("/kerio-parse/calls/numbers-as-strings", test_calls_numbers_as_strings);
  g_test_add_func ("/kerio-parse/calls/missing-fields", test_calls_missing_fields);
  g_test_add_func ("/kerio-parse/calls/flat-party", test_calls_flat_party);
  g_test_add_func ("/kerio-parse/calls/one-pass", test_calls_one_pass);
  g_test_add_func ("/kerio-parse/calls/rows-not-objects", test_calls_rows_not_objects);
  g_test_add_func ("/kerio-parse/calls/wrong-shape", test_calls_wrong_shape);
  g_test_add_func ("/kerio-parse/calls/wrong-field-types", test_calls_wrong_field_types);
  g_test_add_func ("/kerio-parse/calls/lone-surrogate", test_calls_lone_surrogate);
  g_test_add_func ("/kerio-parse/calls/status-rules", test_status_rules);
  g_test_add_func ("/kerio-parse/calls/status-numeric", test_status_numeric);
  g_test_add_func ("/kerio-parse/calls/field-dialect", test_calls_field_dialect);
  g_test_add_func ("/kerio-parse/calls/field-dialect-ringing", test_calls_field_dialect_ringing);
  g_test_add_func ("/kerio-parse/calls/mixed-case", test_calls_mixed_case);
  g_test_add_func ("/kerio-parse/calls/name-in-two-cases", test_calls_name_in_two_cases);
  g_test_add_func ("/kerio-parse/calls/result-members-in-two-cases",
                   test_result_members_in_two_cases);
  g_test_add_func ("/kerio-parse/cdrs/full", test_cdrs_full);
  g_test_add_func ("/kerio-parse/cdrs/numbers-as-strings", test_cdrs_numbers_as_strings);
  g_test_add_func ("/kerio-parse/cdrs/missing-fields", test_cdrs_missing_fields);
  g_test_add_func ("/kerio-parse/cdrs/absurd-numbers", test_cdrs_absurd_numbers);
  g_test_add_func ("/kerio-parse/cdrs/wrong-shape", test_cdrs_wrong_shape);
  g_test_add_func ("/kerio-parse/page/plain", test_page_plain);
  g_test_add_func ("/kerio-parse/page/tolerance", test_page_tolerance);
  g_test_add_func ("/kerio-parse/page/escapes", test_page_escapes);
  g_test_add_func ("/kerio-parse/page/left-to-tree", test_page_left_to_tree);
  g_test_add_func ("/kerio-parse/page/errors", test_page_errors);
  g_test_add_func ("/kerio-parse/page/recordings", test_page_recordings);
  g_test_add_func ("/kerio-parse/page/cdrs-any-case", test_page_cdrs_any_case);
  g_test_add_func ("/kerio-parse/page/cdrs-names-in-two-cases", test_page_cdrs_names_in_two_cases);
  g_test_add_func ("/kerio-parse/page/recordings-any-case", test_page_recordings_any_case);
  g_test_add_func ("/kerio-parse/recordings/full", test_recordings);
  g_test_add_func ("/kerio-parse/recordings/wrong-shape", test_recordings_wrong_shape);
  g_test_add_func ("/kerio-parse/directory/any-case", test_directory);
  g_test_add_func ("/kerio-parse/directory/wrong-shape", test_directory_wrong_shape);
  g_test_add_func ("/kerio-parse/file-download/full", test_file_download);
  g_test_add_func ("/kerio-parse/file-download/missing", test_file_download_missing);
  g_test_add_func ("/kerio-parse/file-download/any-case", test_file_download_any_case);
  g_test_add_func ("/kerio-parse/json/readers", test_json_readers);
  g_test_add_func ("/kerio-parse/tls/pin-good", test_pin_normalize_good);
  g_test_add_func ("/kerio-parse/tls/pin-bad", test_pin_normalize_bad);
  g_test_add_func ("/kerio-parse/tls/fingerprint-format", test_fingerprint_format);
  g_test_add_func ("/kerio-parse/files/sanitize", test_sanitize_file_name);

  return g_test_run ();
}
