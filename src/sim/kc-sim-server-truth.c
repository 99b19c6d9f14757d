/* kc-sim-server-truth.c: the ground truth
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-sim-server"

#include <string.h>

#include "kc-sim-server-private.h"

static guint
count_digits (const char *number)
{
  guint n = 0;

  for (const char *p = number; *p; p++)
    if (g_ascii_isdigit (*p))
      n++;
  return n;
}

/* Kerio CTI's rule (kc_classify_call): with an extension, only calls to it
 * (incoming) or from it (outgoing) are its own; without one, a caller with
 * more digits than an extension has is outside. Untracked calls still get
 * the number rule's direction, as the history gives them. */
static const char *
classify (const char *from,
          const char *to,
          const char *extension,
          guint       extension_digits,
          gboolean   *tracked)
{
  *tracked = TRUE;
  if (extension && *extension)
    {
      if (strcmp (to, extension) == 0)
        return "kiruvchi";
      if (strcmp (from, extension) == 0)
        return "chiquvchi";
      *tracked = FALSE;
    }
  return count_digits (from) > extension_digits ? "kiruvchi" : "chiquvchi";
}

static const char *
status_name (guint kerio_status)
{
  switch (kerio_status)
    {
    case KC_SIM_CDR_ANSWERED:
      return "javob berildi";
    case KC_SIM_CDR_NO_ANSWER:
    case KC_SIM_CDR_VOICEMAIL:
      return "javobsiz";
    case KC_SIM_CDR_BUSY:
      return "band";
    default:
      return "xatolik";
    }
}

static void
add_call_truth (JsonBuilder *builder,
                const char  *id,
                const char  *from,
                const char  *to,
                const char  *extension,
                guint        extension_digits,
                gboolean     ended,
                gboolean     answered,
                gint64       rang_us,
                guint        ringing_polls,
                guint        ringing_requests)
{
  gboolean tracked;
  const char *direction = classify (from, to, extension, extension_digits, &tracked);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, id);
  json_builder_set_member_name (builder, "from");
  json_builder_add_string_value (builder, from);
  json_builder_set_member_name (builder, "to");
  json_builder_add_string_value (builder, to);
  json_builder_set_member_name (builder, "direction");
  json_builder_add_string_value (builder, direction);
  json_builder_set_member_name (builder, "tracked");
  json_builder_add_boolean_value (builder, tracked);
  json_builder_set_member_name (builder, "ended");
  json_builder_add_boolean_value (builder, ended);
  json_builder_set_member_name (builder, "answered");
  json_builder_add_boolean_value (builder, answered);
  json_builder_set_member_name (builder, "rangMs");
  json_builder_add_int_value (builder, MAX (rang_us, 0) / 1000);
  json_builder_set_member_name (builder, "ringingPolls");
  json_builder_add_int_value (builder, ringing_polls);
  json_builder_set_member_name (builder, "ringingRequests");
  json_builder_add_int_value (builder, ringing_requests);
  json_builder_end_object (builder);
}

JsonNode *
kc_sim_server_get_ground_truth (KcSimServer *self,
                                const char  *extension,
                                guint        extension_digits)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  gint64 now = g_get_real_time ();

  g_return_val_if_fail (KC_IS_SIM_SERVER (self), NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "cdrs");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->cdrs.rows->len; i++)
    {
      const SimCdr *cdr = &g_array_index (self->cdrs.rows, SimCdr, i);
      const char *from = kc_sim_lookup (self, cdr->from);
      const char *to = kc_sim_lookup (self, cdr->to);
      gboolean tracked;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      if (cdr->id != NO_STRING)
        {
          g_autofree char *id = kc_sim_cdr_id (self, cdr);

          json_builder_add_string_value (builder, id);
        }
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "timestamp");
      json_builder_add_int_value (builder, cdr->timestamp);
      json_builder_set_member_name (builder, "from");
      json_builder_add_string_value (builder, from);
      json_builder_set_member_name (builder, "to");
      json_builder_add_string_value (builder, to);
      json_builder_set_member_name (builder, "kerioStatus");
      json_builder_add_int_value (builder, cdr->status);
      json_builder_set_member_name (builder, "status");
      json_builder_add_string_value (builder, status_name (cdr->status));
      json_builder_set_member_name (builder, "direction");
      json_builder_add_string_value (builder,
                                     classify (from, to, extension, extension_digits, &tracked));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "calls");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->call_log->len; i++)
    {
      const SimCallLog *entry = &g_array_index (self->call_log, SimCallLog, i);

      add_call_truth (builder, kc_sim_lookup (self, entry->id), kc_sim_lookup (self, entry->from),
                      kc_sim_lookup (self, entry->to), extension, extension_digits, TRUE,
                      entry->answered, entry->ring_end_us - entry->start_us,
                      entry->ringing_polls, entry->ringing_requests);
    }
  for (guint i = 0; i < self->calls->len; i++)
    {
      const SimCall *call = g_ptr_array_index (self->calls, i);

      add_call_truth (builder, call->id, call->from_number, call->to_number, extension,
                      extension_digits, FALSE, call->answer_us != 0,
                      (call->answer_us ? call->answer_us : now) - call->start_us,
                      call->ringing_polls, call->ringing_requests);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}
