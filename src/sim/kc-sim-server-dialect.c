/* kc-sim-server-dialect.c: Status.getCalls rows in the two dialects on
 * record (shared/kerio-operator-api.md, "Active calls")
 *
 * field: what public integrations read from real appliances. One row per
 * channel: `{"id":"1765123456.42","FROM":{"NUMBER":...},"TO":{"NUMBER":...},
 * "STATUS":"0","CALL_DURATION":3}`, STATUS "0" ringing and "1" up,
 * CALL_DURATION counted from the channel's own creation.
 *
 * sdk: what Kerio's PHP SDK sample implies. One row per call, or per
 * ringing extension of a ring group: `{"ID":...,"FROM":{"NUMBER":...,
 * "NAME":...},"TO":{...},"STATUS":"Ringing"|"Answered",
 * "ANSWERED_DURATION":12,"CALL_DURATION":20}`.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-sim-server"

#include "kc-sim-server-private.h"

/* Whether `leg` is a row at all in this dialect */
static gboolean
leg_is_row (KcSimDialect   dialect,
            const SimCall *call,
            const SimLeg  *leg)
{
  if (leg->hidden)
    return FALSE;
  if (dialect == KC_SIM_DIALECT_FIELD)
    return TRUE;
  return call->group ? leg->kind == SIM_LEG_MEMBER : leg->kind == SIM_LEG_CALLER;
}

static gboolean
leg_is_listed (const SimLeg *leg,
               gint64        now)
{
  return leg->created_us <= now && (leg->gone_us == 0 || now < leg->gone_us);
}

guint
kc_sim_call_count_rows (KcSimServer   *self,
                        const SimCall *call,
                        gint64         until)
{
  guint n = 0;

  for (guint i = 0; i < call->legs->len; i++)
    {
      const SimLeg *leg = &g_array_index (call->legs, SimLeg, i);

      if (leg_is_row (self->dialect, call, leg) && leg->created_us <= until
          && (leg->gone_us == 0 || leg->created_us < leg->gone_us))
        n++;
    }
  return n;
}

static void
write_party (GString    *out,
             const char *member,
             const char *number,
             const char *name)
{
  g_string_append_printf (out, "\"%s\":{", member);
  kc_sim_write_member_string (out, "NUMBER", number);
  if (name)
    {
      g_string_append_c (out, ',');
      kc_sim_write_member_string (out, "NAME", name);
    }
  g_string_append_c (out, '}');
}

/* The id a row shows. An SDK group call lists no caller's row; its first
 * ringing extension's row carries the call's id, so that a client names the
 * call as in the field dialect, after its first row. */
static const char *
row_id (KcSimDialect   dialect,
        const SimCall *call,
        const SimLeg  *leg)
{
  if (dialect == KC_SIM_DIALECT_FIELD || !call->group)
    return leg->id;
  for (guint i = 0; i < call->legs->len; i++)
    {
      const SimLeg *first = &g_array_index (call->legs, SimLeg, i);

      if (first->kind == SIM_LEG_MEMBER)
        return first == leg ? call->id : leg->id;
    }
  return leg->id;
}

static void
write_row (KcSimServer   *self,
           GString       *out,
           const SimCall *call,
           const SimLeg  *leg,
           gint64         now)
{
  gboolean field = self->dialect == KC_SIM_DIALECT_FIELD;
  gboolean up = call->answer_us != 0;

  g_string_append_c (out, '{');
  if (!self->omit_call_ids)
    {
      kc_sim_write_member_string (out, field ? "id" : "ID", row_id (self->dialect, call, leg));
      g_string_append_c (out, ',');
    }
  if (field)
    {
      write_party (out, "FROM", call->from_number, NULL);
      g_string_append_c (out, ',');
      write_party (out, "TO", leg->to_number, NULL);
    }
  else
    {
      write_party (out, "FROM", call->from_number, call->from_name ? call->from_name : "");
      g_string_append_c (out, ',');
      write_party (out, "TO", leg->to_number,
                   leg->kind == SIM_LEG_MEMBER || call->to_name == NULL ? "" : call->to_name);
    }
  g_string_append_c (out, ',');
  if (self->numeric_status)
    kc_sim_write_member_int (self, out, "STATUS", up ? 1 : 0);
  else if (field)
    kc_sim_write_member_string (out, "STATUS", up ? "1" : "0");
  else
    kc_sim_write_member_string (out, "STATUS", up ? "Answered" : "Ringing");
  g_string_append_c (out, ',');
  if (!field)
    {
      kc_sim_write_member_int (self, out, "ANSWERED_DURATION",
                               up ? (now - call->answer_us) / G_USEC_PER_SEC : 0);
      g_string_append_c (out, ',');
    }
  kc_sim_write_member_int (self, out, "CALL_DURATION", (now - leg->created_us) / G_USEC_PER_SEC);
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
  guint n = 0;

  g_string_append (out, "{\"calls\":[");
  for (guint i = 0; i < self->calls->len; i++)
    {
      SimCall *call = g_ptr_array_index (self->calls, i);
      gboolean listed = FALSE;

      for (guint j = 0; j < call->legs->len; j++)
        {
          const SimLeg *leg = &g_array_index (call->legs, SimLeg, j);

          if (!leg_is_row (self->dialect, call, leg) || !leg_is_listed (leg, now))
            continue;
          if (n++ > 0)
            g_string_append_c (out, ',');
          write_row (self, out, call, leg, now);
          listed = TRUE;
        }
      if (listed && call->answer_us == 0 && self->current_fault == KC_SIM_FAULT_NONE)
        call->ringing_polls++;
    }
  g_string_append (out, "],");
  kc_sim_write_member_int (self, out, "totalItems", n);
  g_string_append_c (out, '}');
  return TRUE;
}

gboolean
kc_sim_dialect_from_name (const char   *name,
                          KcSimDialect *dialect)
{
  if (g_strcmp0 (name, "field") == 0)
    *dialect = KC_SIM_DIALECT_FIELD;
  else if (g_strcmp0 (name, "sdk") == 0)
    *dialect = KC_SIM_DIALECT_SDK;
  else
    return FALSE;
  return TRUE;
}

void
kc_sim_server_set_dialect (KcSimServer  *self,
                           KcSimDialect  dialect)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  g_return_if_fail (dialect == KC_SIM_DIALECT_FIELD || dialect == KC_SIM_DIALECT_SDK);
  self->dialect = dialect;
}
