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
add_string_or_null (JsonBuilder *builder,
                    KcSimServer *self,
                    guint32      string)
{
  if (string == NO_STRING)
    json_builder_add_null_value (builder);
  else
    json_builder_add_string_value (builder, kc_sim_lookup (self, string));
}

static void
add_call_truth (KcSimServer      *self,
                JsonBuilder      *builder,
                const SimCallLog *entry,
                gboolean          ended,
                const char       *extension,
                guint             extension_digits)
{
  const char *from = kc_sim_lookup (self, entry->from);
  const char *to = kc_sim_lookup (self, entry->to);
  const char *answered_by = entry->answered_by != NO_STRING
                              ? kc_sim_lookup (self, entry->answered_by)
                              : NULL;
  g_auto (GStrv) rang = NULL;
  gboolean answered = entry->answered;
  gboolean rang_here = FALSE;
  const char *direction;
  gboolean tracked;

  if (entry->group != NO_STRING)
    {
      rang = g_strsplit (kc_sim_lookup (self, entry->rang), ",", -1);
      rang_here = extension && g_strv_contains ((const char *const *) rang, extension);
      /* For the operator at an extension it rang, a ring group call is a
       * call to that extension, theirs only when they took it */
      if (rang_here)
        to = extension;
      if (extension && *extension)
        answered = g_strcmp0 (answered_by, extension) == 0;
    }
  direction = classify (from, to, extension, extension_digits, &tracked);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, kc_sim_lookup (self, entry->id));
  json_builder_set_member_name (builder, "from");
  json_builder_add_string_value (builder, from);
  json_builder_set_member_name (builder, "to");
  json_builder_add_string_value (builder, kc_sim_lookup (self, entry->to));
  json_builder_set_member_name (builder, "direction");
  json_builder_add_string_value (builder, direction);
  json_builder_set_member_name (builder, "tracked");
  json_builder_add_boolean_value (builder, tracked);
  json_builder_set_member_name (builder, "ended");
  json_builder_add_boolean_value (builder, ended);
  json_builder_set_member_name (builder, "answered");
  json_builder_add_boolean_value (builder, answered);
  json_builder_set_member_name (builder, "rangMs");
  json_builder_add_int_value (builder, MAX (entry->ring_end_us - entry->start_us, 0) / 1000);
  json_builder_set_member_name (builder, "ringingPolls");
  json_builder_add_int_value (builder, entry->ringing_polls);
  json_builder_set_member_name (builder, "ringingRequests");
  json_builder_add_int_value (builder, entry->ringing_requests);
  json_builder_set_member_name (builder, "legs");
  json_builder_add_int_value (builder, entry->legs);
  if (entry->group != NO_STRING)
    {
      json_builder_set_member_name (builder, "group");
      json_builder_add_string_value (builder, kc_sim_lookup (self, entry->group));
      json_builder_set_member_name (builder, "rang");
      json_builder_begin_array (builder);
      for (guint i = 0; rang[i]; i++)
        json_builder_add_string_value (builder, rang[i]);
      json_builder_end_array (builder);
      json_builder_set_member_name (builder, "answeredBy");
      add_string_or_null (builder, self, entry->answered_by);
      if (rang_here && answered_by && strcmp (answered_by, extension) != 0)
        {
          json_builder_set_member_name (builder, "answeredElsewhere");
          json_builder_add_boolean_value (builder, TRUE);
        }
    }
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
    add_call_truth (self, builder, &g_array_index (self->call_log, SimCallLog, i), TRUE, extension,
                    extension_digits);
  for (guint i = 0; i < self->calls->len; i++)
    {
      SimCallLog entry;

      kc_sim_call_log_entry (self, g_ptr_array_index (self->calls, i), now, &entry);
      add_call_truth (self, builder, &entry, FALSE, extension, extension_digits);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}
