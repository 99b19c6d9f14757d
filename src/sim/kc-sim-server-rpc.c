/* kc-sim-server-rpc.c: HTTP, JSON-RPC, sessions and the download GET
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-sim-server"

#include <string.h>

#include "kc-sim-server-private.h"
#include "kc-sim-wav.h"

GQuark
kc_sim_rpc_error_quark (void)
{
  return g_quark_from_static_string ("kc-sim-rpc-error");
}

static gboolean
request_is_authenticated (KcSimServer       *self,
                          SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *token = soup_message_headers_get_one (headers, "X-Token");
  const char *cookie_header = soup_message_headers_get_list (headers, "Cookie");
  const char *expected = token ? g_hash_table_lookup (self->sessions, token) : NULL;
  GHashTable *cookies;
  gboolean ok;

  if (expected == NULL || cookie_header == NULL)
    return FALSE;
  cookies = soup_header_parse_semi_param_list (cookie_header);
  ok = g_strcmp0 (g_hash_table_lookup (cookies, COOKIE_NAME), expected) == 0;
  soup_header_free_param_list (cookies);
  return ok;
}

static gboolean
rpc_login (KcSimServer        *self,
           SoupServerMessage  *msg,
           JsonObject         *params,
           GString            *out,
           GError            **error)
{
  g_autofree char *token = NULL;
  g_autofree char *cookie = NULL;
  g_autofree char *set_cookie = NULL;

  /* A replay knows no password: the capture has it redacted */
  if (self->replay == NULL
      && (g_strcmp0 (kc_sim_object_get_string (params, "userName"), self->username) != 0
          || g_strcmp0 (kc_sim_object_get_string (params, "password"), self->password) != 0))
    {
      g_set_error_literal (error, RPC_ERROR, RPC_LOGIN_FAILED,
                           "User name or password is incorrect.");
      return FALSE;
    }

  token = g_uuid_string_random ();
  cookie = g_uuid_string_random ();
  set_cookie = g_strdup_printf (COOKIE_NAME "=%s; path=/admin/;%s HttpOnly", cookie,
                                self->https ? " secure;" : "");
  soup_message_headers_append (soup_server_message_get_response_headers (msg), "Set-Cookie",
                               set_cookie);
  g_string_append_c (out, '{');
  kc_sim_write_member_string (out, "token", token);
  g_string_append_c (out, '}');
  g_hash_table_insert (self->sessions, g_steal_pointer (&token), g_steal_pointer (&cookie));
  self->ever_logged_in = TRUE;
  return TRUE;
}

static gboolean
rpc_logout (KcSimServer        *self,
            SoupServerMessage  *msg,
            JsonObject         *params,
            GString            *out,
            GError            **error)
{
  const char *token = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                    "X-Token");

  g_hash_table_remove (self->sessions, token);
  g_string_append (out, "{}");
  return TRUE;
}

typedef gboolean (*RpcMethod) (KcSimServer        *self,
                               SoupServerMessage  *msg,
                               JsonObject         *params,
                               GString            *out,
                               GError            **error);

static const struct
{
  const char *name;
  RpcMethod   func;
  const char *wrong_shape; /* what the WRONG_SHAPE fault answers instead */
} rpc_methods[] = {
  { "Session.logout", rpc_logout, "\"oops\"" },
  { "Status.getCalls", kc_sim_rpc_get_calls, "{\"calls\":\"oops\",\"totalItems\":\"many\"}" },
  { "CallHistory.get", kc_sim_rpc_get_call_history, "{\"callHistory\":{},\"totalItems\":[]}" },
  { "Recordings.get", kc_sim_rpc_get_recordings, "{\"recordingList\":42,\"totalItems\":{}}" },
  { "Recordings.downloadAudioContent", kc_sim_rpc_download_audio, "{\"fileDownload\":[\"oops\"]}" },
  { "Server.getInternalDirectoryList", kc_sim_rpc_get_directory, "{\"numberList\":{}}" },
};

/* --- Answers */

void
kc_sim_respond (SoupServerMessage *msg,
                guint              status,
                const char        *content_type,
                GString           *body)
{
  gsize length = body->len;

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_TAKE,
                                    g_string_free (body, FALSE), length);
}

void
kc_sim_respond_text (SoupServerMessage *msg,
                     guint              status,
                     const char        *content_type,
                     const char        *text)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_COPY, text, strlen (text));
}

GString *
kc_sim_rpc_envelope (const char   *id_json,
                     const char   *result,
                     const GError *error)
{
  GString *out = g_string_new ("{\"jsonrpc\":\"2.0\",\"id\":");

  g_string_append (out, id_json);
  if (error)
    {
      g_string_append_printf (out, ",\"error\":{\"code\":%d,", error->code);
      kc_sim_write_member_string (out, "message", error->message);
      g_string_append (out, ",\"data\":{\"messageParameters\":{\"positionalParameters\":[]}}}}");
    }
  else
    {
      g_string_append (out, ",\"result\":");
      g_string_append (out, result);
      g_string_append_c (out, '}');
    }
  return out;
}

static void
count_request (KcSimServer *self,
               const char  *method)
{
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (self->request_counts, method));

  g_hash_table_insert (self->request_counts, g_strdup (method), GUINT_TO_POINTER (n + 1));
}

static void
count_unauthenticated (KcSimServer *self)
{
  if (self->ever_logged_in)
    self->unauthenticated_count++;
}

void
kc_sim_handle_jsonrpc (SoupServer        *server,
                       SoupServerMessage *msg,
                       const char        *path,
                       GHashTable        *query,
                       gpointer           user_data)
{
  KcSimServer *self = user_data;
  SoupMessageBody *request = soup_server_message_get_request_body (msg);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) result = g_string_new (NULL);
  g_autofree char *id_json = NULL;
  JsonObject *object = NULL, *params = NULL;
  JsonNode *root, *id_node;
  const char *method = NULL;
  KcSimFault fault = KC_SIM_FAULT_NONE;
  guint entry;

  if (strcmp (path, KC_SIM_ENDPOINT_PATH) != 0)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  if (soup_server_message_get_method (msg) != SOUP_METHOD_POST)
    {
      soup_message_headers_append (soup_server_message_get_response_headers (msg), "Allow", "POST");
      soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
      return;
    }

  if (request->length == 0
      || !json_parser_load_from_data (parser, request->data, request->length, NULL))
    {
      g_set_error_literal (&error, RPC_ERROR, RPC_PARSE_ERROR, "Parse error.");
      kc_sim_respond (msg, SOUP_STATUS_OK, JSON_RPC_TYPE,
                      kc_sim_rpc_envelope ("null", NULL, error));
      return;
    }

  root = json_parser_get_root (parser);
  if (root && JSON_NODE_HOLDS_OBJECT (root))
    object = json_node_get_object (root);
  id_node = object ? json_object_get_member (object, "id") : NULL;
  id_json = id_node ? json_to_string (id_node, FALSE) : g_strdup ("null");
  method = kc_sim_object_get_string (object, "method");
  if (object && json_object_has_member (object, "params")
      && JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "params")))
    params = json_object_get_object_member (object, "params");

  if (method == NULL)
    {
      g_set_error_literal (&error, RPC_ERROR, RPC_INVALID_REQUEST, "Invalid request.");
      kc_sim_respond (msg, SOUP_STATUS_OK, JSON_RPC_TYPE,
                      kc_sim_rpc_envelope (id_json, NULL, error));
      return;
    }

  count_request (self, method);
  if (self->replay && kc_sim_replay_handle (self, msg, method, params, id_json))
    return;
  fault = kc_sim_next_fault (self, strcmp (method, "Session.login") == 0);
  self->current_fault = fault;
  if (fault != KC_SIM_FAULT_NONE)
    self->fault_counts[fault]++;

  /* The client asked after the calls ringing now: with a poll, or with the
   * login it needs first (after a restart or an expired session), which,
   * faulted, kept it from seeing them as much as a faulted poll */
  if (strcmp (method, "Status.getCalls") == 0 ||
      (strcmp (method, "Session.login") == 0 && fault != KC_SIM_FAULT_NONE))
    for (guint i = 0; i < self->calls->len; i++)
      {
        SimCall *call = g_ptr_array_index (self->calls, i);

        if (call->answer_us == 0)
          call->ringing_requests++;
      }

  if (strcmp (method, "Session.login") == 0)
    {
      rpc_login (self, msg, params, result, &error);
      kc_sim_send_rpc_answer (self, msg, fault,
                              kc_sim_rpc_envelope (id_json,
                                                   fault == KC_SIM_FAULT_WRONG_SHAPE
                                                     ? "\"oops\""
                                                     : result->str,
                                                   error));
      return;
    }

  for (entry = 0; entry < G_N_ELEMENTS (rpc_methods); entry++)
    if (strcmp (method, rpc_methods[entry].name) == 0)
      break;

  if (!request_is_authenticated (self, msg))
    {
      count_unauthenticated (self);
      g_set_error_literal (&error, RPC_ERROR, RPC_SESSION_EXPIRED, "Session expired.");
    }
  else if (entry < G_N_ELEMENTS (rpc_methods))
    rpc_methods[entry].func (self, msg, params, result, &error);
  else
    g_set_error (&error, RPC_ERROR, RPC_METHOD_NOT_FOUND, "Method '%s' not found.", method);

  if (fault == KC_SIM_FAULT_WRONG_SHAPE)
    kc_sim_send_rpc_answer (self, msg, fault,
                            kc_sim_rpc_envelope (id_json,
                                                 entry < G_N_ELEMENTS (rpc_methods)
                                                   ? rpc_methods[entry].wrong_shape
                                                   : "\"oops\"",
                                                 NULL));
  else
    kc_sim_send_rpc_answer (self, msg, fault, kc_sim_rpc_envelope (id_json, result->str, error));
}

void
kc_sim_handle_download (SoupServer        *server,
                        SoupServerMessage *msg,
                        const char        *path,
                        GHashTable        *query,
                        gpointer           user_data)
{
  KcSimServer *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  const char *rest = g_str_has_prefix (path, DOWNLOAD_PATH) ? path + strlen (DOWNLOAD_PATH) : "";
  const char *slash = strchr (rest, '/');
  g_autofree char *key = g_strndup (rest, slash ? (gsize) (slash - rest) : strlen (rest));
  gpointer found = g_hash_table_lookup (self->downloads, key);
  const SimRecording *recording;
  g_autoptr (GBytes) audio = NULL;
  g_autofree char *disposition = NULL;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD)
    {
      soup_message_headers_append (headers, "Allow", "GET, HEAD");
      soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
      return;
    }
  if (!request_is_authenticated (self, msg))
    {
      count_unauthenticated (self);
      kc_sim_respond_text (msg, SOUP_STATUS_UNAUTHORIZED, "text/plain; charset=UTF-8",
                           "Session expired.\n");
      return;
    }
  if (found == NULL)
    {
      kc_sim_respond_text (msg, SOUP_STATUS_NOT_FOUND, "text/plain; charset=UTF-8",
                           "No such download.\n");
      return;
    }

  recording = &g_array_index (self->recordings.rows, SimRecording, GPOINTER_TO_UINT (found) - 1);
  audio = kc_sim_wav_generate (recording->duration,
                               g_str_hash (kc_sim_lookup (self, recording->id)));
  disposition = g_strdup_printf ("attachment; filename=\"%s.wav\"",
                                 kc_sim_lookup (self, recording->name));
  soup_message_headers_set_content_type (headers, "audio/wav", NULL);
  soup_message_headers_append (headers, "Content-Disposition", disposition);
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg), audio);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  self->download_count++;
}

/* "request-started" fires per request; a marker on the socket tells a new
 * connection from a kept-alive one. */
void
kc_sim_on_request_started (SoupServer        *server,
                           SoupServerMessage *msg,
                           gpointer           user_data)
{
  KcSimServer *self = user_data;
  GSocket *socket = soup_server_message_get_socket (msg);

  if (socket == NULL || g_object_get_data (G_OBJECT (socket), "kc-sim-server") == self)
    return;
  g_object_set_data (G_OBJECT (socket), "kc-sim-server", self);
  self->connection_count++;
}
