/* kc-headless.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-headless"

#include <json-glib/json-glib.h>

#include "kc-headless.h"

static char *
to_line (JsonBuilder *builder)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (builder);

  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

char *
kc_headless_format_call (const char *event,
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
kc_headless_format_status (KcCall *call)
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
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  return to_line (builder);
}

static void
emit (FILE       *out,
      const char *line)
{
  fputs (line, out);
  fputc ('\n', out);
  fflush (out);
}

static void
on_incoming (KcCallTracker *tracker,
             KcCall        *call,
             FILE          *out)
{
  g_autofree char *line = kc_headless_format_call ("incoming_call", call);
  emit (out, line);
}

static void
on_outgoing (KcCallTracker *tracker,
             KcCall        *call,
             FILE          *out)
{
  g_autofree char *line = kc_headless_format_call ("outgoing_call", call);
  emit (out, line);
}

static void
on_state_changed (KcCallTracker *tracker,
                  KcCall        *call,
                  int            old_state,
                  FILE          *out)
{
  g_autofree char *line = kc_headless_format_status (call);
  emit (out, line);
}

void
kc_headless_attach (KcCallTracker *tracker,
                    FILE          *out)
{
  g_signal_connect (tracker, "incoming-call", G_CALLBACK (on_incoming), out);
  g_signal_connect (tracker, "outgoing-call", G_CALLBACK (on_outgoing), out);
  g_signal_connect (tracker, "call-state-changed", G_CALLBACK (on_state_changed), out);
}
