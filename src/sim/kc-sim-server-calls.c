/* kc-sim-server-calls.c: live calls and Status.getCalls
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-sim-server"

#include <string.h>

#include "kc-sim-server-private.h"

void
kc_sim_call_free (gpointer data)
{
  SimCall *call = data;

  g_free (call->id);
  g_free (call->from_number);
  g_free (call->from_name);
  g_free (call->to_number);
  g_free (call->to_name);
  g_free (call);
}

static SimCall *
find_call (KcSimServer *self,
           const char  *call_id,
           guint       *position)
{
  for (guint i = 0; call_id && i < self->calls->len; i++)
    {
      SimCall *call = g_ptr_array_index (self->calls, i);

      if (strcmp (call->id, call_id) == 0)
        {
          if (position)
            *position = i;
          return call;
        }
    }
  return NULL;
}

static void
write_party (GString    *out,
             const char *member,
             const char *number,
             const char *name)
{
  g_string_append_printf (out, "\"%s\":{", member);
  kc_sim_write_member_string (out, "NUMBER", number);
  g_string_append_c (out, ',');
  kc_sim_write_member_string (out, "NAME", name ? name : "");
  g_string_append_c (out, '}');
}

static void
write_call (KcSimServer *self,
            GString     *out,
            SimCall     *call,
            gint64       now)
{
  g_string_append_c (out, '{');
  if (!self->omit_call_ids)
    {
      kc_sim_write_member_string (out, "ID", call->id);
      g_string_append_c (out, ',');
    }
  write_party (out, "FROM", call->from_number, call->from_name);
  g_string_append_c (out, ',');
  write_party (out, "TO", call->to_number, call->to_name);
  g_string_append_c (out, ',');
  if (self->numeric_status)
    kc_sim_write_member_int (self, out, "STATUS", call->answer_us ? 4 : 1);
  else
    kc_sim_write_member_string (out, "STATUS", call->answer_us ? "Answered" : "Ringing");
  g_string_append_c (out, ',');
  kc_sim_write_member_int (self, out, "ANSWERED_DURATION",
                           call->answer_us ? (now - call->answer_us) / G_USEC_PER_SEC : 0);
  g_string_append_c (out, ',');
  kc_sim_write_member_int (self, out, "CALL_DURATION", (now - call->start_us) / G_USEC_PER_SEC);
  g_string_append_c (out, '}');
}

gboolean
kc_sim_rpc_get_calls (KcSimServer        *self,
                      SoupServerMessage  *msg,
                      JsonObject         *params,
                      GString            *out,
                      GError            **error)
{
  gint64 now = g_get_real_time ();

  g_string_append (out, "{\"calls\":[");
  for (guint i = 0; i < self->calls->len; i++)
    {
      SimCall *call = g_ptr_array_index (self->calls, i);

      if (i > 0)
        g_string_append_c (out, ',');
      write_call (self, out, call, now);
      if (call->answer_us == 0 && self->current_fault == KC_SIM_FAULT_NONE)
        call->ringing_polls++;
    }
  g_string_append (out, "],");
  kc_sim_write_member_int (self, out, "totalItems", self->calls->len);
  g_string_append_c (out, '}');
  return TRUE;
}

const char *
kc_sim_server_add_call_started (KcSimServer *self,
                                const char  *from_number,
                                const char  *from_name,
                                const char  *to_number,
                                const char  *to_name,
                                gint64       age)
{
  SimCall *call;

  g_return_val_if_fail (KC_IS_SIM_SERVER (self), NULL);
  g_return_val_if_fail (from_number != NULL && to_number != NULL, NULL);

  call = g_new0 (SimCall, 1);
  call->start_us = g_get_real_time () - age * G_USEC_PER_SEC;
  /* Asterisk-style unique ids, "<start>.<serial>", as the PBX underneath uses */
  call->id = g_strdup_printf ("%" G_GINT64_FORMAT ".%u", call->start_us / G_USEC_PER_SEC,
                              ++self->call_serial);
  call->from_number = g_strdup (from_number);
  call->from_name = g_strdup (from_name);
  call->to_number = g_strdup (to_number);
  call->to_name = g_strdup (to_name);
  g_ptr_array_add (self->calls, call);
  return call->id;
}

const char *
kc_sim_server_add_call (KcSimServer *self,
                        const char  *from_number,
                        const char  *from_name,
                        const char  *to_number,
                        const char  *to_name)
{
  return kc_sim_server_add_call_started (self, from_number, from_name, to_number, to_name, 0);
}

gboolean
kc_sim_server_answer_call (KcSimServer *self,
                           const char  *call_id)
{
  SimCall *call;

  g_return_val_if_fail (KC_IS_SIM_SERVER (self), FALSE);

  call = find_call (self, call_id, NULL);
  if (call == NULL)
    return FALSE;
  if (call->answer_us == 0)
    call->answer_us = g_get_real_time ();
  return TRUE;
}

static void
log_call (KcSimServer *self,
          SimCall     *call,
          gint64       now)
{
  SimCallLog entry = {
    .id = kc_sim_intern (self, call->id),
    .from = kc_sim_intern (self, call->from_number),
    .to = kc_sim_intern (self, call->to_number),
    .start_us = call->start_us,
    .ring_end_us = call->answer_us ? call->answer_us : now,
    .ringing_polls = call->ringing_polls,
    .ringing_requests = call->ringing_requests,
    .answered = call->answer_us != 0,
  };

  g_array_append_val (self->call_log, entry);
}

gboolean
kc_sim_server_end_call (KcSimServer    *self,
                        const char     *call_id,
                        KcSimCdrStatus  unanswered_status)
{
  gint64 now = g_get_real_time ();
  gint64 start, talk = 0;
  SimCall *call;
  guint position;

  g_return_val_if_fail (KC_IS_SIM_SERVER (self), FALSE);

  call = find_call (self, call_id, &position);
  if (call == NULL)
    return FALSE;

  start = call->start_us / G_USEC_PER_SEC;
  if (call->answer_us)
    talk = (now - call->answer_us) / G_USEC_PER_SEC;
  kc_sim_add_cdr_row (self, kc_sim_intern (self, call->id), start, call->from_number,
                      call->to_number, call->answer_us ? KC_SIM_CDR_ANSWERED : unanswered_status,
                      (now - call->start_us) / G_USEC_PER_SEC, talk);

  if (call->answer_us && self->record_calls)
    {
      gboolean outgoing = kc_sim_is_extension (call->from_number)
                          && strlen (call->from_number) <= strlen (call->to_number);
      g_autofree char *recording_id = g_strdup_printf ("rec-%s", call->id);

      kc_sim_add_recording_row (self, recording_id, outgoing ? call->from_number : call->to_number,
                                outgoing ? call->to_number : call->from_number,
                                call->answer_us / G_USEC_PER_SEC, MAX (talk, 1));
    }

  log_call (self, call, now);
  g_ptr_array_remove_index (self->calls, position);
  return TRUE;
}

guint
kc_sim_server_get_n_active_calls (KcSimServer *self)
{
  g_return_val_if_fail (KC_IS_SIM_SERVER (self), 0);
  return self->calls->len;
}
