/* kc-sim-server-ami-events.c: the channels of the simulated calls as AMI
 * events
 *
 * Driven by the same call lifecycle as Status.getCalls
 * (kc-sim-server-calls.c): a leg is a channel, announced when it is
 * created (the callee's 400 ms after the caller's, by a timer), answered,
 * bridged and hung up as the call goes. The sequences follow Asterisk's
 * documented events; kc-sim-server.h sums them up.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-sim-server"

#include <string.h>

#include "kc-sim-server-private.h"

#define CONTEXT_EXTENSION "sip-locals-callPermissions"
#define CONTEXT_TRUNK "sip-trunks"
#define TRUNK_PEER "trunk"
#define UNKNOWN "<unknown>"

/* Asterisk's channel states, as ChannelState numbers them */
enum
{
  STATE_DOWN = 0,
  STATE_RING = 4,
  STATE_RINGING = 5,
  STATE_UP = 6,
};

/* Q.850 causes as Asterisk names them in Cause-txt */
enum
{
  CAUSE_NORMAL = 16,
  CAUSE_BUSY = 17,
  CAUSE_NO_ANSWER = 19,
  CAUSE_REJECTED = 21,
  CAUSE_ANSWERED_ELSEWHERE = 26,
};

typedef struct
{
  KcSimServer *self;
  SimCall     *call;
} LegsDue;

/* --- Parties and channels */

static gboolean
is_inside (const char *number)
{
  return number != NULL && kc_sim_is_extension (number)
         && strlen (number) <= KC_SIM_EXTENSION_MAX_DIGITS;
}

static const char *
leg_number (const SimCall *call,
            const SimLeg  *leg)
{
  return leg->kind == SIM_LEG_CALLER ? call->from_number : leg->to_number;
}

static const char *
leg_name (const SimCall *call,
          const SimLeg  *leg)
{
  switch (leg->kind)
    {
    case SIM_LEG_CALLER:
      return call->from_name;
    case SIM_LEG_CALLEE:
      return call->to_name;
    case SIM_LEG_MEMBER:
    default:
      return NULL;
    }
}

static SimLeg *
caller_leg (const SimCall *call)
{
  return &g_array_index (call->legs, SimLeg, 0);
}

/* The channel that took the call: the callee's, or the ring group
 * member's; NULL while it rings */
static SimLeg *
answerer_leg (const SimCall *call)
{
  if (call->answer_us == 0)
    return NULL;
  for (guint i = 1; i < call->legs->len; i++)
    {
      SimLeg *leg = &g_array_index (call->legs, SimLeg, i);

      if (!call->group || g_strcmp0 (leg->to_number, call->answered_by) == 0)
        return leg;
    }
  return NULL;
}

static char *
channel_name (KcSimServer  *self,
              const SimCall *call,
              const SimLeg  *leg)
{
  const char *number = leg_number (call, leg);

  return g_strdup_printf ("%s/%s-%08x", self->ami.tech, is_inside (number) ? number : TRUNK_PEER,
                          leg->serial);
}

static int
leg_state (const SimCall *call,
           const SimLeg  *leg)
{
  if (leg->kind == SIM_LEG_CALLER)
    return call->answer_us != 0 ? STATE_UP : STATE_RING;
  return leg == answerer_leg (call) ? STATE_UP : STATE_RINGING;
}

static const char *
state_name (int state)
{
  switch (state)
    {
    case STATE_DOWN:
      return "Down";
    case STATE_RING:
      return "Ring";
    case STATE_RINGING:
      return "Ringing";
    case STATE_UP:
    default:
      return "Up";
    }
}

/* --- Writing an event */

static GString *
event_new (const char *name)
{
  GString *event = g_string_new (NULL);

  g_string_append_printf (event, "Event: %s\r\nPrivilege: call,all\r\n", name);
  return event;
}

static void
event_send (KcSimServer *self,
            GString     *event)
{
  kc_sim_ami_broadcast (self, "call,all", event);
  g_string_free (event, TRUE);
}

/* A caller's name may come from the control API: a line break in it must
 * not start a field of its own */
static void
field (GString    *event,
       const char *prefix,
       const char *key,
       const char *value)
{
  g_string_append_printf (event, "%s%s: ", prefix, key);
  for (const char *p = value; *p; p++)
    g_string_append_c (event, *p == '\r' || *p == '\n' ? ' ' : *p);
  g_string_append (event, "\r\n");
}

static void
field_int (GString    *event,
           const char *prefix,
           const char *key,
           int         value)
{
  g_string_append_printf (event, "%s%s: %d\r\n", prefix, key, value);
}

/* The caller's channel is connected to whom it dialled until someone
 * answers, then to who did; a dialled channel to the caller */
static void
connected_line (const SimCall  *call,
                const SimLeg   *leg,
                const char    **number,
                const char    **name)
{
  const SimLeg *answerer = answerer_leg (call);

  *number = NULL;
  *name = NULL;
  if (leg->kind != SIM_LEG_CALLER)
    {
      *number = call->from_number;
      *name = call->from_name;
    }
  else if (answerer != NULL)
    {
      *number = leg_number (call, answerer);
      *name = leg_name (call, answerer);
    }
  else if (call->legs->len > 1 && g_array_index (call->legs, SimLeg, 1).ami_announced)
    {
      *number = call->to_number;
      *name = call->to_name;
    }
}

/* The fields Asterisk gives every channel in an event; `prefix` "Dest"
 * for the dialled one of a DialBegin/DialEnd */
static void
write_channel (KcSimServer   *self,
               GString       *event,
               const char    *prefix,
               const SimCall *call,
               const SimLeg  *leg,
               int            state)
{
  g_autofree char *channel = channel_name (self, call, leg);
  const char *number = leg_number (call, leg);
  const char *name = leg_name (call, leg);
  const char *connected_number;
  const char *connected_name;
  gboolean v18 = self->ami.version == KC_SIM_AMI_18;

  connected_line (call, leg, &connected_number, &connected_name);
  field (event, prefix, "Channel", channel);
  field_int (event, prefix, "ChannelState", state);
  field (event, prefix, "ChannelStateDesc", state_name (state));
  field (event, prefix, "CallerIDNum", number);
  field (event, prefix, "CallerIDName", name != NULL ? name : UNKNOWN);
  field (event, prefix, "ConnectedLineNum", connected_number != NULL ? connected_number : UNKNOWN);
  field (event, prefix, "ConnectedLineName", connected_name != NULL ? connected_name : UNKNOWN);
  if (v18)
    field (event, prefix, "Language", "en");
  field (event, prefix, "AccountCode", "");
  field (event, prefix, "Context", is_inside (number) ? CONTEXT_EXTENSION : CONTEXT_TRUNK);
  /* The caller's channel runs the dialplan at the number dialled */
  field (event, prefix, "Exten", leg->kind == SIM_LEG_CALLER ? call->to_number : number);
  if (v18)
    field (event, prefix, "Priority", "1");
  field (event, prefix, "Uniqueid", leg->id);
  if (self->ami.version != KC_SIM_AMI_1_8)
    field (event, prefix, "Linkedid", call->id);
}

/* --- The events of a channel */

static void
send_channel_event (KcSimServer   *self,
                    const char    *name,
                    const SimCall *call,
                    const SimLeg  *leg,
                    int            state)
{
  GString *event = event_new (name);

  write_channel (self, event, "", call, leg, state);
  event_send (self, event);
}

static void
send_dial (KcSimServer   *self,
           const SimCall *call,
           const SimLeg  *dest,
           const char    *dial_status)
{
  const SimLeg *caller = caller_leg (call);
  gboolean begin = dial_status == NULL;
  GString *event;

  if (self->ami.version == KC_SIM_AMI_18)
    {
      event = event_new (begin ? "DialBegin" : "DialEnd");
      write_channel (self, event, "", call, caller, leg_state (call, caller));
      write_channel (self, event, "Dest", call, dest, begin ? STATE_DOWN : leg_state (call, dest));
      if (begin)
        field (event, "", "DialString", leg_number (call, dest));
      else
        field (event, "", "DialStatus", dial_status);
    }
  else
    {
      g_autofree char *channel = channel_name (self, call, caller);

      event = event_new ("Dial");
      field (event, "", "SubEvent", begin ? "Begin" : "End");
      field (event, "", "Channel", channel);
      if (begin)
        {
          g_autofree char *destination = channel_name (self, call, dest);
          const char *connected_number;
          const char *connected_name;

          connected_line (call, caller, &connected_number, &connected_name);
          field (event, "", "Destination", destination);
          field (event, "", "CallerIDNum", call->from_number);
          field (event, "", "CallerIDName", call->from_name != NULL ? call->from_name : UNKNOWN);
          field (event, "", "ConnectedLineNum",
                 connected_number != NULL ? connected_number : UNKNOWN);
          field (event, "", "ConnectedLineName",
                 connected_name != NULL ? connected_name : UNKNOWN);
          /* Spelt so in 1.8 and 11 */
          field (event, "", "UniqueID", caller->id);
          field (event, "", "DestUniqueID", dest->id);
          field (event, "", "Dialstring", leg_number (call, dest));
        }
      else
        {
          field (event, "", "UniqueID", caller->id);
          field (event, "", "DialStatus", dial_status);
        }
    }
  event_send (self, event);
}

static void
send_hangup (KcSimServer   *self,
             const SimCall *call,
             SimLeg        *leg,
             int            cause)
{
  GString *event = event_new ("Hangup");
  const char *text;

  switch (cause)
    {
    case CAUSE_NORMAL:
      text = "Normal Clearing";
      break;
    case CAUSE_BUSY:
      text = "User busy";
      break;
    case CAUSE_NO_ANSWER:
      text = "User alerting, no answer";
      break;
    case CAUSE_REJECTED:
      text = "Call Rejected";
      break;
    case CAUSE_ANSWERED_ELSEWHERE:
    default:
      text = "Answered elsewhere";
      break;
    }
  write_channel (self, event, "", call, leg, leg_state (call, leg));
  field_int (event, "", "Cause", cause);
  field (event, "", "Cause-txt", text);
  event_send (self, event);
  leg->ami_hung_up = TRUE;
}

/* --- Bridges */

static void
write_bridge (GString *event,
              guint    serial,
              guint    n_channels)
{
  g_autofree char *id = g_strdup_printf ("00000000-0000-4000-8000-%012x", serial);

  field (event, "", "BridgeUniqueid", id);
  field (event, "", "BridgeType", "basic");
  field (event, "", "BridgeTechnology", "simple_bridge");
  field (event, "", "BridgeCreator", UNKNOWN);
  field (event, "", "BridgeName", UNKNOWN);
  field_int (event, "", "BridgeNumChannels", n_channels);
}

static void
send_bridge_member (KcSimServer   *self,
                    const char    *name,
                    const SimCall *call,
                    const SimLeg  *leg,
                    guint          n_channels)
{
  GString *event = event_new (name);

  write_bridge (event, call->ami_bridge, n_channels);
  write_channel (self, event, "", call, leg, leg_state (call, leg));
  event_send (self, event);
}

/* link: the two channels are bridged; else they part */
static void
send_bridge (KcSimServer   *self,
             const SimCall *call,
             const SimLeg  *answerer,
             gboolean       link)
{
  const SimLeg *caller = caller_leg (call);
  GString *event;

  if (self->ami.version == KC_SIM_AMI_18)
    {
      if (link)
        {
          event = event_new ("BridgeCreate");
          write_bridge (event, call->ami_bridge, 0);
          event_send (self, event);
          send_bridge_member (self, "BridgeEnter", call, caller, 1);
          send_bridge_member (self, "BridgeEnter", call, answerer, 2);
        }
      else
        {
          send_bridge_member (self, "BridgeLeave", call, answerer, 1);
          send_bridge_member (self, "BridgeLeave", call, caller, 0);
          event = event_new ("BridgeDestroy");
          write_bridge (event, call->ami_bridge, 0);
          event_send (self, event);
        }
      return;
    }

  {
    g_autofree char *channel1 = channel_name (self, call, caller);
    g_autofree char *channel2 = channel_name (self, call, answerer);

    event = event_new ("Bridge");
    field (event, "", "Bridgestate", link ? "Link" : "Unlink");
    field (event, "", "Bridgetype", "core");
    field (event, "", "Channel1", channel1);
    field (event, "", "Channel2", channel2);
    field (event, "", "Uniqueid1", caller->id);
    field (event, "", "Uniqueid2", answerer->id);
    field (event, "", "CallerID1", leg_number (call, caller));
    field (event, "", "CallerID2", leg_number (call, answerer));
    event_send (self, event);
  }
}

/* --- The lifecycle */

static void
announce_leg (KcSimServer *self,
              SimCall     *call,
              SimLeg      *leg)
{
  leg->ami_announced = TRUE;
  if (leg->kind == SIM_LEG_CALLER)
    {
      send_channel_event (self, "Newchannel", call, leg, STATE_RING);
      return;
    }
  /* Asterisk creates the dialled channel Down; it rings once dialled */
  send_channel_event (self, "Newchannel", call, leg, STATE_DOWN);
  send_dial (self, call, leg, NULL);
  send_channel_event (self, "Newstate", call, leg, STATE_RINGING);
}

static void announce_due_legs (KcSimServer *self,
                               SimCall     *call);

static gboolean
on_legs_due (gpointer data)
{
  LegsDue *due = data;

  due->call->ami_source = 0;
  announce_due_legs (due->self, due->call);
  return G_SOURCE_REMOVE;
}

/* The legs created by now that still ring are announced; a timer waits
 * for the next one to come */
static void
announce_due_legs (KcSimServer *self,
                   SimCall     *call)
{
  gint64 now = g_get_real_time ();
  gint64 next_us = 0;

  g_clear_handle_id (&call->ami_source, g_source_remove);
  for (guint i = 0; i < call->legs->len; i++)
    {
      SimLeg *leg = &g_array_index (call->legs, SimLeg, i);

      if (leg->ami_announced || (leg->gone_us != 0 && leg->gone_us <= now))
        continue;
      if (leg->created_us <= now)
        announce_leg (self, call, leg);
      else if (next_us == 0 || leg->created_us < next_us)
        next_us = leg->created_us;
    }
  if (next_us != 0)
    {
      LegsDue *due = g_new (LegsDue, 1);

      due->self = self;
      due->call = call;
      call->ami_source = g_timeout_add_full (G_PRIORITY_DEFAULT, (guint) ((next_us - now) / 1000),
                                             on_legs_due, due, g_free);
    }
}

/* A non-call event, for a client to show that "Events: call" leaves it
 * out: the extension's phone answered the PBX's last health check */
static void
send_peer_status (KcSimServer   *self,
                  const SimCall *call)
{
  for (guint i = 0; i < call->legs->len; i++)
    {
      const SimLeg *leg = &g_array_index (call->legs, SimLeg, i);
      const char *number = leg_number (call, leg);
      g_autoptr (GString) event = NULL;

      if (!is_inside (number))
        continue;
      event = g_string_new ("Event: PeerStatus\r\nPrivilege: system,all\r\n");
      field (event, "", "ChannelType", self->ami.tech);
      g_string_append_printf (event, "Peer: %s/%s\r\n", self->ami.tech, number);
      field (event, "", "PeerStatus", "Reachable");
      field (event, "", "Time", "3");
      kc_sim_ami_broadcast (self, "system,all", event);
      return;
    }
}

void
kc_sim_ami_call_added (KcSimServer *self,
                       SimCall     *call)
{
  if (!kc_sim_ami_is_listening (self))
    return;
  send_peer_status (self, call);
  announce_due_legs (self, call);
}

void
kc_sim_ami_call_answered (KcSimServer *self,
                          SimCall     *call)
{
  SimLeg *caller = caller_leg (call);
  SimLeg *answerer;

  if (!kc_sim_ami_is_listening (self))
    return;
  announce_due_legs (self, call);
  g_clear_handle_id (&call->ami_source, g_source_remove);
  answerer = answerer_leg (call);
  /* A call the AMI never saw begin (it listens since) stays unseen */
  if (!caller->ami_announced || answerer == NULL)
    return;
  /* Answered at once, before its channel was due: it rang for no time */
  if (!answerer->ami_announced)
    announce_leg (self, call, answerer);

  send_channel_event (self, "Newstate", call, answerer, STATE_UP);
  send_dial (self, call, answerer, "ANSWER");
  for (guint i = 1; i < call->legs->len; i++)
    {
      SimLeg *leg = &g_array_index (call->legs, SimLeg, i);

      if (leg == answerer || !leg->ami_announced || leg->ami_hung_up)
        continue;
      send_dial (self, call, leg, "CANCEL");
      send_hangup (self, call, leg, CAUSE_ANSWERED_ELSEWHERE);
    }
  send_channel_event (self, "Newstate", call, caller, STATE_UP);
  call->ami_bridge = ++self->ami.bridge_serial;
  send_bridge (self, call, answerer, TRUE);
}

void
kc_sim_ami_call_ended (KcSimServer    *self,
                       SimCall        *call,
                       KcSimCdrStatus  unanswered_status)
{
  SimLeg *caller = caller_leg (call);
  SimLeg *answerer = answerer_leg (call);
  const char *dial_status;
  int cause;

  if (!kc_sim_ami_is_listening (self))
    return;
  announce_due_legs (self, call);
  g_clear_handle_id (&call->ami_source, g_source_remove);
  if (!caller->ami_announced)
    return;

  if (answerer != NULL && answerer->ami_announced)
    {
      send_bridge (self, call, answerer, FALSE);
      send_hangup (self, call, answerer, CAUSE_NORMAL);
      send_hangup (self, call, caller, CAUSE_NORMAL);
      return;
    }

  switch (unanswered_status)
    {
    case KC_SIM_CDR_BUSY:
      cause = CAUSE_BUSY;
      dial_status = "BUSY";
      break;
    case KC_SIM_CDR_FAILED:
      cause = CAUSE_REJECTED;
      dial_status = "CONGESTION";
      break;
    case KC_SIM_CDR_FORBIDDEN:
      cause = CAUSE_REJECTED;
      dial_status = "CHANUNAVAIL";
      break;
    default:
      cause = CAUSE_NO_ANSWER;
      dial_status = "NOANSWER";
      break;
    }
  for (guint i = 1; i < call->legs->len; i++)
    {
      SimLeg *leg = &g_array_index (call->legs, SimLeg, i);

      if (!leg->ami_announced || leg->ami_hung_up)
        continue;
      send_dial (self, call, leg, dial_status);
      send_hangup (self, call, leg, cause);
    }
  send_hangup (self, call, caller, cause);
}
