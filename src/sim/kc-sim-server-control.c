/* kc-sim-server-control.c: POST /sim/control and kc_sim_server_control()
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-sim-server"

#include <string.h>

#include "kc-sim-server-private.h"

static gboolean
parse_fault_name (const char *name,
                  KcSimFault *out)
{
  for (guint i = 0; i < G_N_ELEMENTS (kc_sim_fault_names); i++)
    if (g_strcmp0 (name, kc_sim_fault_names[i].name) == 0)
      {
        *out = kc_sim_fault_names[i].fault;
        return TRUE;
      }
  return FALSE;
}

static const char *
require_string (JsonObject  *request,
                const char  *name,
                GError     **error)
{
  const char *value = kc_sim_object_get_string (request, name);

  if (value == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "'%s' must be a string", name);
  return value;
}

static JsonNode *
empty_object (void)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, json_object_new ());
  return node;
}

static JsonNode *
id_object (const char *id)
{
  JsonNode *node = empty_object ();

  json_object_set_string_member (json_node_get_object (node), "id", id);
  return node;
}

static JsonNode *
control_add_group_call (KcSimServer  *self,
                        JsonObject   *object,
                        GError      **error)
{
  const char *from = require_string (object, "from", error);
  const char *to = from ? require_string (object, "to", error) : NULL;
  JsonNode *node = json_object_get_member (object, "extensions");
  g_autoptr (GPtrArray) extensions = g_ptr_array_new ();
  JsonArray *array;

  if (to == NULL)
    return NULL;
  array = node && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
  for (guint i = 0; array && i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING)
        break;
      g_ptr_array_add (extensions, (gpointer) json_node_get_string (element));
    }
  if (array == NULL || extensions->len == 0 || extensions->len != json_array_get_length (array))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "'extensions' must be an array of strings, not empty");
      return NULL;
    }
  g_ptr_array_add (extensions, NULL);
  return id_object (kc_sim_server_add_group_call (self, from,
                                                  kc_sim_object_get_string (object, "fromName"),
                                                  to, (const char *const *) extensions->pdata));
}

static JsonNode *
control_stats (KcSimServer *self)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  GHashTableIter iter;
  gpointer key, value;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "requests");
  json_builder_begin_object (builder);
  g_hash_table_iter_init (&iter, self->request_counts);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      json_builder_set_member_name (builder, key);
      json_builder_add_int_value (builder, GPOINTER_TO_UINT (value));
    }
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "unauthenticated");
  json_builder_add_int_value (builder, self->unauthenticated_count);
  json_builder_set_member_name (builder, "cdrs");
  json_builder_add_int_value (builder, self->cdrs.rows->len);
  json_builder_set_member_name (builder, "pendingCdrs");
  json_builder_add_int_value (builder, self->pending_cdrs->len);
  json_builder_set_member_name (builder, "activeCalls");
  json_builder_add_int_value (builder, self->calls->len);
  json_builder_set_member_name (builder, "recordings");
  json_builder_add_int_value (builder, self->recordings.rows->len);
  json_builder_set_member_name (builder, "downloads");
  json_builder_add_int_value (builder, self->download_count);
  json_builder_set_member_name (builder, "connections");
  json_builder_add_int_value (builder, self->connection_count);
  json_builder_set_member_name (builder, "faults");
  json_builder_begin_object (builder);
  for (guint i = 0; i < G_N_ELEMENTS (kc_sim_fault_names); i++)
    if (kc_sim_fault_names[i].fault != KC_SIM_FAULT_NONE)
      {
        json_builder_set_member_name (builder, kc_sim_fault_names[i].name);
        json_builder_add_int_value (builder, self->fault_counts[kc_sim_fault_names[i].fault]);
      }
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "expiries");
  json_builder_add_int_value (builder, self->expiry_count);
  json_builder_set_member_name (builder, "restarts");
  json_builder_add_int_value (builder, self->restart_count);
  json_builder_set_member_name (builder, "down");
  json_builder_add_boolean_value (builder, self->down);
  json_builder_set_member_name (builder, "ami");
  json_builder_add_value (builder, kc_sim_ami_stats (self));
  json_builder_set_member_name (builder, "crmLookups");
  json_builder_add_int_value (builder, self->crm_lookup_count);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static JsonNode *
control_fault_rates (KcSimServer  *self,
                     JsonObject   *object,
                     GError      **error)
{
  double rates[G_N_ELEMENTS (self->fault_rates)] = { 0 };
  double sum = 0, slow_delay = self->slow_delay;
  gint64 seed;

  for (guint i = 0; i < G_N_ELEMENTS (kc_sim_fault_names); i++)
    {
      KcSimFault fault = kc_sim_fault_names[i].fault;
      double rate = 0;

      if (fault == KC_SIM_FAULT_NONE
          || !json_object_has_member (object, kc_sim_fault_names[i].name))
        continue;
      if (!kc_sim_object_get_double (object, kc_sim_fault_names[i].name, &rate) || rate < 0
          || rate > 1)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "'%s' must be a rate from 0 to 1", kc_sim_fault_names[i].name);
          return NULL;
        }
      rates[fault] = rate;
      sum += rate;
    }
  if (sum > 1)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "The rates add up to more than 1");
      return NULL;
    }
  if (json_object_has_member (object, "slowDelay")
      && (!kc_sim_object_get_double (object, "slowDelay", &slow_delay) || slow_delay < 0))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "'slowDelay' must be a number >= 0");
      return NULL;
    }

  memcpy (self->fault_rates, rates, sizeof rates);
  self->slow_delay = slow_delay;
  if (kc_sim_object_get_int (object, "seed", &seed))
    kc_sim_server_set_fault_seed (self, (guint32) seed);
  return empty_object ();
}

static gboolean
restart_later (gpointer data)
{
  KcSimServer *self = data;
  double down_for = self->restart_down_for;

  self->restart_down_for = -1;
  kc_sim_server_restart (self, down_for);
  return G_SOURCE_REMOVE;
}

/* From inside libsoup's own I/O callback the connection cannot be torn
 * down: the restart waits for the main loop. */
static void
on_control_finished (SoupServerMessage *msg,
                     gpointer           data)
{
  KcSimServer *self = data;

  g_signal_handlers_disconnect_by_func (msg, on_control_finished, data);
  g_idle_add_full (G_PRIORITY_DEFAULT, restart_later, g_object_ref (self), g_object_unref);
}

JsonNode *
kc_sim_server_control (KcSimServer  *self,
                       JsonNode     *request,
                       GError      **error)
{
  JsonObject *object;
  const char *action;

  g_return_val_if_fail (KC_IS_SIM_SERVER (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  object = request && JSON_NODE_HOLDS_OBJECT (request) ? json_node_get_object (request) : NULL;
  action = kc_sim_object_get_string (object, "action");
  if (action == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "The request must be an object with an \"action\"");
      return NULL;
    }

  if (strcmp (action, "addCall") == 0)
    {
      const char *from = require_string (object, "from", error);
      const char *to = from ? require_string (object, "to", error) : NULL;
      gint64 age = 0;

      if (to == NULL)
        return NULL;
      kc_sim_object_get_int (object, "age", &age);
      return id_object (
        kc_sim_server_add_call_started (self, from, kc_sim_object_get_string (object, "fromName"),
                                        to, kc_sim_object_get_string (object, "toName"), age));
    }

  if (strcmp (action, "addGroupCall") == 0)
    return control_add_group_call (self, object, error);

  if (strcmp (action, "answerCall") == 0)
    {
      const char *id = require_string (object, "id", error);
      const char *extension = kc_sim_object_get_string (object, "extension");

      if (id == NULL)
        return NULL;
      if (!kc_sim_server_answer_call_at (self, id, extension))
        {
          if (extension)
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                         "No active call '%s' that %s can answer", id, extension);
          else
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "No active call '%s'", id);
          return NULL;
        }
      return empty_object ();
    }

  if (strcmp (action, "endCall") == 0)
    {
      const char *id = require_string (object, "id", error);
      gint64 status = KC_SIM_CDR_NO_ANSWER;

      if (id == NULL)
        return NULL;
      kc_sim_object_get_int (object, "status", &status);
      if (!kc_sim_server_end_call (self, id, (KcSimCdrStatus) status))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "No active call '%s'", id);
          return NULL;
        }
      return empty_object ();
    }

  if (strcmp (action, "dialect") == 0)
    {
      KcSimDialect dialect;

      if (!kc_sim_dialect_from_name (kc_sim_object_get_string (object, "dialect"), &dialect))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "'dialect' must be \"field\" or \"sdk\"");
          return NULL;
        }
      kc_sim_server_set_dialect (self, dialect);
      return empty_object ();
    }

  if (strcmp (action, "cdrDelay") == 0)
    {
      double seconds = 0;

      if (!kc_sim_object_get_double (object, "seconds", &seconds) || seconds < 0)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "'seconds' must be a number >= 0");
          return NULL;
        }
      kc_sim_server_set_cdr_delay (self, seconds);
      return empty_object ();
    }

  if (strcmp (action, "addCdr") == 0)
    {
      const char *from = require_string (object, "from", error);
      const char *to = from ? require_string (object, "to", error) : NULL;
      gint64 timestamp, status = KC_SIM_CDR_ANSWERED, duration = 0, answered = 0;

      if (to == NULL)
        return NULL;
      if (!kc_sim_object_get_int (object, "timestamp", &timestamp))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "'timestamp' must be a number");
          return NULL;
        }
      kc_sim_object_get_int (object, "status", &status);
      kc_sim_object_get_int (object, "duration", &duration);
      kc_sim_object_get_int (object, "answered", &answered);
      kc_sim_server_add_cdr (self, kc_sim_object_get_string (object, "id"), timestamp, from, to,
                             (KcSimCdrStatus) status, duration, answered);
      return empty_object ();
    }

  if (strcmp (action, "expireSessions") == 0)
    {
      kc_sim_server_expire_sessions (self);
      return empty_object ();
    }

  if (strcmp (action, "fault") == 0)
    {
      KcSimFault fault;
      gint64 count = 1;

      if (!parse_fault_name (kc_sim_object_get_string (object, "fault"), &fault))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "'fault' must be one of none, html, notFound, http500, truncated, "
                               "malformed, wrongShape, huge, drop, slow");
          return NULL;
        }
      kc_sim_object_get_int (object, "count", &count);
      kc_sim_server_inject_fault (self, fault, (guint) CLAMP (count, 0, G_MAXUINT));
      return empty_object ();
    }

  if (strcmp (action, "faultRates") == 0)
    return control_fault_rates (self, object, error);

  if (strcmp (action, "expireEvery") == 0)
    {
      double seconds = 0;

      if (!kc_sim_object_get_double (object, "seconds", &seconds) || seconds < 0)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "'seconds' must be a number >= 0");
          return NULL;
        }
      kc_sim_server_set_expire_every (self, seconds);
      return empty_object ();
    }

  if (strcmp (action, "restart") == 0)
    {
      double down_for = 0;

      if (json_object_has_member (object, "downFor")
          && (!kc_sim_object_get_double (object, "downFor", &down_for) || down_for < 0))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "'downFor' must be a number >= 0");
          return NULL;
        }
      if (self->down || self->restart_down_for >= 0)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY, "Already restarting");
          return NULL;
        }
      /* Over HTTP, the answer must leave before the connection it travels
       * on is closed. */
      if (self->control_msg)
        {
          self->restart_down_for = down_for;
          g_signal_connect (self->control_msg, "finished", G_CALLBACK (on_control_finished),
                            self);
        }
      else
        kc_sim_server_restart (self, down_for);
      return empty_object ();
    }

  if (strcmp (action, "traffic") == 0)
    {
      double rate = 0;
      double max_talk = KC_SIM_TRAFFIC_MAX_TALK;
      gint64 seed = 0;

      if (!kc_sim_object_get_double (object, "rate", &rate) || rate < 0)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "'rate' must be a number >= 0");
          return NULL;
        }
      if (json_object_has_member (object, "maxTalk")
          && (!kc_sim_object_get_double (object, "maxTalk", &max_talk)
              || max_talk < KC_SIM_TRAFFIC_MIN_TALK))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "'maxTalk' must be a number of seconds >= %d", KC_SIM_TRAFFIC_MIN_TALK);
          return NULL;
        }
      kc_sim_server_set_traffic_max_talk (self, max_talk);
      if (!kc_sim_object_get_int (object, "seed", &seed))
        seed = g_random_int ();
      if (rate > 0)
        kc_sim_server_start_traffic (self, rate, (guint32) seed);
      else
        kc_sim_server_stop_traffic (self);
      return empty_object ();
    }

  if (strcmp (action, "groundTruth") == 0)
    {
      gint64 digits = 4;

      kc_sim_object_get_int (object, "extensionDigits", &digits);
      return kc_sim_server_get_ground_truth (self, kc_sim_object_get_string (object, "extension"),
                                             (guint) CLAMP (digits, 0, G_MAXINT));
    }

  if (strcmp (action, "stats") == 0)
    return control_stats (self);

  if (strcmp (action, "amiDrop") == 0)
    {
      kc_sim_server_drop_ami (self);
      return empty_object ();
    }

  if (strcmp (action, "amiRefuse") == 0 || strcmp (action, "amiHang") == 0)
    {
      gboolean refuse = strcmp (action, "amiRefuse") == 0;
      const char *name = refuse ? "refuse" : "hang";
      JsonNode *node = json_object_get_member (object, name);

      if (node == NULL || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "'%s' must be true or false",
                       name);
          return NULL;
        }
      if (refuse)
        kc_sim_server_set_ami_refuse (self, json_node_get_boolean (node));
      else
        kc_sim_server_set_ami_hang (self, json_node_get_boolean (node));
      return empty_object ();
    }

  if (strcmp (action, "directory") == 0 || strcmp (action, "crmCustomer") == 0)
    {
      gboolean directory = strcmp (action, "directory") == 0;
      const char *number = kc_sim_object_get_string (object, "number");
      const char *name = kc_sim_object_get_string (object, directory ? "description" : "name");

      if (number == NULL || *number == '\0')
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "'number' must be a string");
          return NULL;
        }
      if (directory)
        kc_sim_server_set_directory_entry (self, number, name);
      else
        kc_sim_server_set_crm_customer (self, number, name);
      return empty_object ();
    }

  if (strcmp (action, "crmFault") == 0)
    {
      KcSimCrmFault fault;

      if (!kc_sim_crm_fault_from_name (kc_sim_object_get_string (object, "fault"), &fault))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "'fault' must be one of ok, slow, broken, http500");
          return NULL;
        }
      kc_sim_server_set_crm_fault (self, fault);
      return empty_object ();
    }

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "Unknown action '%s'", action);
  return NULL;
}

void
kc_sim_handle_control (SoupServer        *server,
                       SoupServerMessage *msg,
                       const char        *path,
                       GHashTable        *query,
                       gpointer           user_data)
{
  KcSimServer *self = user_data;
  SoupMessageBody *request = soup_server_message_get_request_body (msg);
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (JsonNode) answer = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  if (!G_IS_INET_SOCKET_ADDRESS (remote)
      || !g_inet_address_get_is_loopback (
        g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote))))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_FORBIDDEN, NULL);
      return;
    }
  if (soup_server_message_get_method (msg) != SOUP_METHOD_POST)
    {
      soup_message_headers_append (soup_server_message_get_response_headers (msg), "Allow", "POST");
      soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
      return;
    }

  if (request->length == 0)
    g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "Empty request");
  else if (json_parser_load_from_data (parser, request->data, request->length, &error))
    {
      self->control_msg = msg;
      answer = kc_sim_server_control (self, json_parser_get_root (parser), &error);
      self->control_msg = NULL;
    }

  if (answer == NULL)
    {
      GString *body = g_string_new ("{");

      kc_sim_write_member_string (body, "error", error->message);
      g_string_append (body, "}");
      kc_sim_respond (msg, SOUP_STATUS_BAD_REQUEST, "application/json", body);
      return;
    }
  text = json_to_string (answer, FALSE);
  kc_sim_respond_text (msg, SOUP_STATUS_OK, "application/json", text);
}
