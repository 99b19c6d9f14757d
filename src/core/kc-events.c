/* kc-events.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-events"

#include <json-glib/json-glib.h>

#include "kc-events.h"
#include "kc-store.h"

static char *
to_line (JsonBuilder *builder)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (builder);

  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

char *
kc_events_format_call (const char *event,
                       KcCall     *call)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autofree char *start = kc_iso8601_from_unix (kc_call_get_start_time (call));

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "event");
  json_builder_add_string_value (builder, event);
  json_builder_set_member_name (builder, "data");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "callId");
  json_builder_add_string_value (builder, kc_call_get_call_id (call));
  json_builder_set_member_name (builder, "fromNumber");
  json_builder_add_string_value (builder, kc_call_get_from_number (call));
  json_builder_set_member_name (builder, "toNumber");
  json_builder_add_string_value (builder, kc_call_get_to_number (call));
  json_builder_set_member_name (builder, "direction");
  json_builder_add_string_value (builder, kc_direction_to_string (kc_call_get_direction (call)));
  json_builder_set_member_name (builder, "startTime");
  json_builder_add_string_value (builder, start);
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, kc_call_state_to_string (kc_call_get_state (call)));
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  return to_line (builder);
}

char *
kc_events_format_announcement (KcCall *call)
{
  return kc_events_format_call (kc_call_get_direction (call) == KC_DIRECTION_INCOMING
                                  ? "incoming_call"
                                  : "outgoing_call",
                                call);
}

char *
kc_events_format_status (KcCall *call)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "event");
  json_builder_add_string_value (builder, "call_status");
  json_builder_set_member_name (builder, "data");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "callId");
  json_builder_add_string_value (builder, kc_call_get_call_id (call));
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, kc_call_state_to_string (kc_call_get_state (call)));
  if (kc_call_get_answered_by (call))
    {
      json_builder_set_member_name (builder, "answeredBy");
      json_builder_add_string_value (builder, kc_call_get_answered_by (call));
    }
  if (kc_call_get_corrected (call))
    {
      json_builder_set_member_name (builder, "corrected");
      json_builder_add_boolean_value (builder, TRUE);
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  return to_line (builder);
}

/* A failure's kind, for a supervising program to act on without parsing the
 * English message */
static const char *
sync_failure_reason (const GError *error)
{
  if (error->domain != KC_STORE_ERROR)
    return "pbx";
  switch (error->code)
    {
    case KC_STORE_ERROR_FULL:
      return "disk-full";
    case KC_STORE_ERROR_BUSY:
      return "database-locked";
    default:
      return "database";
    }
}

char *
kc_events_format_sync (guint         n_new,
                       const GError *error)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "event");
  json_builder_add_string_value (builder, "sync");
  json_builder_set_member_name (builder, "data");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "result");
  json_builder_add_string_value (builder, error ? "failed" : "ok");
  if (error)
    {
      json_builder_set_member_name (builder, "reason");
      json_builder_add_string_value (builder, sync_failure_reason (error));
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, error->message);
    }
  else
    {
      json_builder_set_member_name (builder, "newRecords");
      json_builder_add_int_value (builder, n_new);
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  return to_line (builder);
}
