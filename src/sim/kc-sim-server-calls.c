/* kc-sim-server-calls.c: live calls: their legs, ring groups, answers, ends
 * and the records an end writes
 *
 * A call is modelled as the PBX underneath holds it, one channel (leg) per
 * party: the caller's, then, 400 ms later, the callee's when one end is
 * outside, or one per extension a ring group rings. How the legs show in
 * Status.getCalls is the dialect's business (kc-sim-server-dialect.c).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-sim-server"

#include <string.h>

#include "kc-sim-server-private.h"

/* From the caller's channel to the callee's, as the field notes show */
#define LEG_DELAY_US (400 * 1000)

/* What an end writes: the CDR and, for an answered call, its recording */
typedef struct
{
  KcSimServer    *self;
  guint           source;
  char           *id;
  gint64          timestamp;
  char           *from;
  char           *to;
  KcSimCdrStatus  status;
  gint64          call_duration;
  gint64          answered_duration;
  char           *recording_extension; /* NULL: none */
  char           *recording_caller;
  gint64          recording_started;
  gint64          recording_duration;
} CallRecords;

static void
leg_clear (gpointer data)
{
  SimLeg *leg = data;

  g_free (leg->id);
  g_free (leg->to_number);
}

void
kc_sim_call_free (gpointer data)
{
  SimCall *call = data;

  g_clear_handle_id (&call->ami_source, g_source_remove);
  g_free (call->id);
  g_free (call->from_number);
  g_free (call->from_name);
  g_free (call->to_number);
  g_free (call->to_name);
  g_free (call->answered_by);
  g_array_unref (call->legs);
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

static SimCall *
call_new (const char *from_number,
          const char *from_name,
          const char *to_number,
          const char *to_name,
          gint64      start_us)
{
  SimCall *call = g_new0 (SimCall, 1);

  call->from_number = g_strdup (from_number);
  call->from_name = g_strdup (from_name);
  call->to_number = g_strdup (to_number);
  call->to_name = g_strdup (to_name);
  call->start_us = start_us;
  call->legs = g_array_new (FALSE, TRUE, sizeof (SimLeg));
  g_array_set_clear_func (call->legs, leg_clear);
  return call;
}

static SimLeg *
add_leg (KcSimServer *self,
         SimCall     *call,
         SimLegKind   kind,
         const char  *to_number,
         gint64       created_us)
{
  SimLeg leg = {
    .kind = kind,
    .to_number = g_strdup (to_number),
    .created_us = created_us,
    .serial = ++self->call_serial,
  };

  /* Asterisk's unique id: the channel's creation, then a serial */
  leg.id = g_strdup_printf ("%" G_GINT64_FORMAT ".%u", created_us / G_USEC_PER_SEC, leg.serial);
  g_array_append_val (call->legs, leg);
  return &g_array_index (call->legs, SimLeg, call->legs->len - 1);
}

/* The call's id is its first leg's: the one a client merging legs keeps */
static const char *
call_add (KcSimServer *self,
          SimCall     *call)
{
  call->id = g_strdup (g_array_index (call->legs, SimLeg, 0).id);
  g_ptr_array_add (self->calls, call);
  kc_sim_ami_call_added (self, call);
  return call->id;
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
  SimLeg *callee;

  g_return_val_if_fail (KC_IS_SIM_SERVER (self), NULL);
  g_return_val_if_fail (from_number != NULL && to_number != NULL, NULL);

  call = call_new (from_number, from_name, to_number, to_name,
                   g_get_real_time () - age * G_USEC_PER_SEC);
  add_leg (self, call, SIM_LEG_CALLER, to_number, call->start_us);
  /* A channel each end. Status.getCalls shows both when a trunk is
   * between them, one for a call between extensions. */
  callee = add_leg (self, call, SIM_LEG_CALLEE, to_number, call->start_us + LEG_DELAY_US);
  callee->hidden = strlen (from_number) <= KC_SIM_EXTENSION_MAX_DIGITS
                   && strlen (to_number) <= KC_SIM_EXTENSION_MAX_DIGITS;
  return call_add (self, call);
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

const char *
kc_sim_server_add_group_call (KcSimServer       *self,
                              const char        *from_number,
                              const char        *from_name,
                              const char        *group_number,
                              const char *const *extensions)
{
  SimCall *call;

  g_return_val_if_fail (KC_IS_SIM_SERVER (self), NULL);
  g_return_val_if_fail (from_number != NULL && group_number != NULL, NULL);
  g_return_val_if_fail (extensions != NULL && extensions[0] != NULL, NULL);

  call = call_new (from_number, from_name, group_number, NULL, g_get_real_time ());
  call->group = TRUE;
  add_leg (self, call, SIM_LEG_CALLER, group_number, call->start_us);
  for (guint i = 0; extensions[i]; i++)
    add_leg (self, call, SIM_LEG_MEMBER, extensions[i], call->start_us + LEG_DELAY_US);
  return call_add (self, call);
}

static SimLeg *
find_member (SimCall    *call,
             const char *extension)
{
  for (guint i = 0; i < call->legs->len; i++)
    {
      SimLeg *leg = &g_array_index (call->legs, SimLeg, i);

      if (leg->kind == SIM_LEG_MEMBER
          && (extension == NULL || strcmp (leg->to_number, extension) == 0))
        return leg;
    }
  return NULL;
}

gboolean
kc_sim_server_answer_call_at (KcSimServer *self,
                              const char  *call_id,
                              const char  *extension)
{
  gint64 now = g_get_real_time ();
  SimCall *call;
  SimLeg *member;

  g_return_val_if_fail (KC_IS_SIM_SERVER (self), FALSE);

  call = find_call (self, call_id, NULL);
  if (call == NULL)
    return FALSE;

  if (!call->group)
    {
      if (extension && strcmp (extension, call->to_number) != 0)
        return FALSE;
      if (call->answer_us == 0)
        {
          call->answer_us = now;
          kc_sim_ami_call_answered (self, call);
        }
      return TRUE;
    }

  if (call->answer_us)
    return extension == NULL || strcmp (extension, call->answered_by) == 0;
  member = find_member (call, extension);
  if (member == NULL)
    return FALSE;
  call->answer_us = now;
  call->answered_by = g_strdup (member->to_number);
  /* The phones of the others stop ringing */
  for (guint i = 0; i < call->legs->len; i++)
    {
      SimLeg *leg = &g_array_index (call->legs, SimLeg, i);

      if (leg->kind == SIM_LEG_MEMBER && leg != member)
        leg->gone_us = now;
    }
  kc_sim_ami_call_answered (self, call);
  return TRUE;
}

gboolean
kc_sim_server_answer_call (KcSimServer *self,
                           const char  *call_id)
{
  return kc_sim_server_answer_call_at (self, call_id, NULL);
}

void
kc_sim_call_log_entry (KcSimServer   *self,
                       const SimCall *call,
                       gint64         now,
                       SimCallLog    *entry)
{
  *entry = (SimCallLog) {
    .id = kc_sim_intern (self, call->id),
    .from = kc_sim_intern (self, call->from_number),
    .to = kc_sim_intern (self, call->to_number),
    .group = NO_STRING,
    .rang = NO_STRING,
    .answered_by = NO_STRING,
    .start_us = call->start_us,
    .ring_end_us = call->answer_us ? call->answer_us : now,
    .ringing_polls = call->ringing_polls,
    .ringing_requests = call->ringing_requests,
    .legs = kc_sim_call_count_rows (self, call, now),
    .answered = call->answer_us != 0,
  };

  if (call->group)
    {
      g_autoptr (GString) rang = g_string_new (NULL);

      for (guint i = 0; i < call->legs->len; i++)
        {
          const SimLeg *leg = &g_array_index (call->legs, SimLeg, i);

          if (leg->kind != SIM_LEG_MEMBER)
            continue;
          if (rang->len > 0)
            g_string_append_c (rang, ',');
          g_string_append (rang, leg->to_number);
        }
      entry->group = entry->to;
      entry->rang = kc_sim_intern (self, rang->str);
      if (call->answered_by)
        entry->answered_by = kc_sim_intern (self, call->answered_by);
    }
}

void
kc_sim_call_records_free (gpointer data)
{
  CallRecords *records = data;

  g_clear_handle_id (&records->source, g_source_remove);
  g_free (records->id);
  g_free (records->from);
  g_free (records->to);
  g_free (records->recording_extension);
  g_free (records->recording_caller);
  g_free (records);
}

static void
write_call_records (KcSimServer       *self,
                    const CallRecords *records)
{
  kc_sim_add_cdr_row (self, kc_sim_intern (self, records->id), records->timestamp, records->from,
                      records->to, records->status, records->call_duration,
                      records->answered_duration);
  if (records->recording_extension)
    {
      g_autofree char *recording_id = g_strdup_printf ("rec-%s", records->id);

      kc_sim_add_recording_row (self, recording_id, records->recording_extension,
                                records->recording_caller, records->recording_started,
                                records->recording_duration);
    }
}

static gboolean
write_late_records (gpointer data)
{
  CallRecords *records = data;
  KcSimServer *self = records->self;

  records->source = 0;
  write_call_records (self, records);
  g_ptr_array_remove_fast (self->pending_cdrs, records);
  return G_SOURCE_REMOVE;
}

gboolean
kc_sim_server_end_call (KcSimServer    *self,
                        const char     *call_id,
                        KcSimCdrStatus  unanswered_status)
{
  gint64 now = g_get_real_time ();
  gint64 talk = 0;
  CallRecords *records;
  SimCallLog entry;
  SimCall *call;
  guint position;

  g_return_val_if_fail (KC_IS_SIM_SERVER (self), FALSE);

  call = find_call (self, call_id, &position);
  if (call == NULL)
    return FALSE;

  if (call->answer_us)
    talk = (now - call->answer_us) / G_USEC_PER_SEC;
  records = g_new0 (CallRecords, 1);
  records->self = self;
  records->id = g_strdup (call->id);
  records->timestamp = call->start_us / G_USEC_PER_SEC;
  records->from = g_strdup (call->from_number);
  /* A ring group's record names who took the call, else the group */
  records->to = g_strdup (call->answered_by ? call->answered_by : call->to_number);
  records->status = call->answer_us ? KC_SIM_CDR_ANSWERED : unanswered_status;
  records->call_duration = (now - call->start_us) / G_USEC_PER_SEC;
  records->answered_duration = talk;

  if (call->answer_us && self->record_calls)
    {
      gboolean outgoing = !call->group && kc_sim_is_extension (call->from_number)
                          && strlen (call->from_number) <= strlen (call->to_number);

      records->recording_extension = g_strdup (outgoing ? call->from_number : records->to);
      records->recording_caller = g_strdup (outgoing ? call->to_number : call->from_number);
      records->recording_started = call->answer_us / G_USEC_PER_SEC;
      records->recording_duration = MAX (talk, 1);
    }

  if (self->cdr_delay > 0)
    {
      records->source = g_timeout_add ((guint) (self->cdr_delay * 1000), write_late_records,
                                       records);
      g_ptr_array_add (self->pending_cdrs, records);
    }
  else
    {
      write_call_records (self, records);
      kc_sim_call_records_free (records);
    }

  kc_sim_ami_call_ended (self, call, unanswered_status);
  kc_sim_call_log_entry (self, call, now, &entry);
  g_array_append_val (self->call_log, entry);
  g_ptr_array_remove_index (self->calls, position);
  return TRUE;
}

guint
kc_sim_server_get_n_active_calls (KcSimServer *self)
{
  g_return_val_if_fail (KC_IS_SIM_SERVER (self), 0);
  return self->calls->len;
}

void
kc_sim_server_set_cdr_delay (KcSimServer *self,
                             double       seconds)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  g_return_if_fail (seconds >= 0);
  self->cdr_delay = seconds;
}
