/* kc-ami-calls.c
 *
 * Asterisk's view of a call (see the Asterisk documentation of the Manager
 * Interface's events): the caller's channel runs the dialplan at the number
 * dialled (its Exten), and Dial creates one channel per phone it rings.
 * Channels of one call share the Linkedid of the first one (Asterisk 11
 * on); in 1.8, Dial pairs the caller's UniqueID with each DestUniqueID. A
 * dialled channel shows its own number as CallerIDNum and the caller as
 * ConnectedLineNum; a SIP or PJSIP channel of an extension is named after
 * it ("SIP/1001-0000002a").
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-ami-calls"

#include <string.h>

#include "kerio/kc-kerio-types.h"
#include "kc-ami-calls.h"

/* Channel states as ChannelState numbers them */
#define STATE_RINGING 5
#define STATE_UP 6

/* A hung-up channel is remembered this long at most, to hide the poll rows
 * of a call the PBX has not yet taken out of Status.getCalls */
#define HUNG_UP_MEMORY_US (60 * G_USEC_PER_SEC)

/* Starts read from polls are whole seconds: a row and a channel of one call
 * agree within this */
#define START_SLACK 1

typedef struct
{
  char   *uniqueid;
  char   *linkedid;   /* NULL before Asterisk 11 */
  char   *dialled_by; /* the caller's Uniqueid, from a Dial (1.8) */
  char   *channel;
  char   *number;     /* CallerIDNum */
  char   *name;       /* CallerIDName */
  char   *connected;  /* ConnectedLineNum */
  char   *exten;      /* the number its dialplan ran at, when it began */
  int     state;
  gint64  created_us;
} Channel;

typedef struct
{
  char   *uniqueid;
  char   *from;
  char   *to;
  gint64  created_us;
  gint64  hung_up_us;
} HungUp;

struct _KcAmiCalls
{
  GObject     parent_instance;

  GHashTable *channels; /* Uniqueid -> Channel */
  GPtrArray  *hung_up;  /* HungUp */
  GPtrArray  *poll_rows; /* KcActiveCall: the last poll's */
  gint64      poll_us;   /* when that poll was sent */
  gint64      cleared_us; /* when AMI last came up or went down */
};

G_DEFINE_FINAL_TYPE (KcAmiCalls, kc_ami_calls, G_TYPE_OBJECT)

static void
channel_free (gpointer data)
{
  Channel *channel = data;

  g_free (channel->uniqueid);
  g_free (channel->linkedid);
  g_free (channel->dialled_by);
  g_free (channel->channel);
  g_free (channel->number);
  g_free (channel->name);
  g_free (channel->connected);
  g_free (channel->exten);
  g_free (channel);
}

static void
hung_up_free (gpointer data)
{
  HungUp *entry = data;

  g_free (entry->uniqueid);
  g_free (entry->from);
  g_free (entry->to);
  g_free (entry);
}

/* Asterisk writes "<unknown>" (or nothing) for a party it does not know */
static const char *
known (const char *value)
{
  if (value == NULL || *value == '\0' || g_ascii_strcasecmp (value, "<unknown>") == 0)
    return NULL;
  return value;
}

static gboolean
value_is (KcAmiMessage *event,
          const char   *key,
          const char   *value)
{
  const char *found = kc_ami_message_get (event, key);

  return found != NULL && g_ascii_strcasecmp (found, value) == 0;
}

static void
set_field (char       **field,
           const char  *value)
{
  value = known (value);
  if (value == NULL || g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
}

/* "SIP/1001-0000002a", "PJSIP/1001-00000007" -> "1001"; NULL for a channel
 * not named after a number (a trunk, Local/...) */
static char *
extension_of_channel (const char *channel)
{
  const char *slash = channel ? strchr (channel, '/') : NULL;
  const char *end;

  if (slash == NULL)
    return NULL;
  end = strrchr (slash, '-');
  if (end == NULL || end == slash + 1)
    return NULL;
  for (const char *p = slash + 1; p < end; p++)
    if (!g_ascii_isdigit (*p))
      return NULL;
  return g_strndup (slash + 1, (gsize) (end - slash - 1));
}

/* Whether the channel began its call, as far as its events tell. A phone
 * ringing never began its call: until the Dial that tells whose call it is
 * (Asterisk 1.8 has no Linkedid), it is known by whom it is connected to. */
static gboolean
began_call (const Channel *channel)
{
  return channel->dialled_by == NULL && channel->state != STATE_RINGING &&
         (channel->linkedid == NULL || g_strcmp0 (channel->linkedid, channel->uniqueid) == 0);
}

/* The channel that began the call, NULL when AMI did not see it (it began
 * while AMI was down) */
static Channel *
root_of (KcAmiCalls *self,
         Channel    *channel)
{
  for (guint depth = 0; depth < 8; depth++)
    {
      const char *up;

      if (began_call (channel))
        return channel;
      /* A phone ringing with no Dial and no Linkedid: Asterisk 1.8 ringing
       * it for an Originate, or a Dial sent before AMI came up */
      up = channel->dialled_by ? channel->dialled_by : channel->linkedid;
      if (up == NULL)
        return NULL;
      channel = g_hash_table_lookup (self->channels, up);
      if (channel == NULL)
        return NULL;
    }
  return NULL;
}

/* FROM and TO of the row a channel is */
static void
parties (KcAmiCalls  *self,
         Channel     *channel,
         const char **from,
         char       **to,
         const char **from_name)
{
  Channel *root = root_of (self, channel);

  if (root == channel)
    {
      *from = channel->number;
      *from_name = channel->name;
      *to = g_strdup (channel->exten);
      return;
    }
  /* A dialled channel: the caller is whom it is connected to */
  *from = root && root->number ? root->number : channel->connected;
  *from_name = root ? root->name : NULL;
  *to = extension_of_channel (channel->channel);
  if (*to == NULL)
    *to = g_strdup (root && root->exten ? root->exten : channel->number);
}

static gint64 row_start_us (const KcActiveCall *row,
                            gint64              at_us);

/* A channel AMI tells of for the first time: born now, unless the last
 * poll already listed it (AMI came up while the call was going on) */
static Channel *
ensure_channel (KcAmiCalls *self,
                const char *uniqueid,
                const char *exten,
                gint64      now_us)
{
  Channel *channel = g_hash_table_lookup (self->channels, uniqueid);

  if (channel != NULL)
    return channel;
  channel = g_new0 (Channel, 1);
  channel->uniqueid = g_strdup (uniqueid);
  channel->created_us = now_us;
  set_field (&channel->exten, exten);
  for (guint i = 0; i < self->poll_rows->len; i++)
    {
      const KcActiveCall *row = g_ptr_array_index (self->poll_rows, i);

      if (g_strcmp0 (row->id, uniqueid) == 0)
        channel->created_us = row_start_us (row, self->poll_us);
    }
  g_hash_table_insert (self->channels, channel->uniqueid, channel);
  return channel;
}

/* The fields every channel event carries */
static void
update_channel (Channel      *channel,
                KcAmiMessage *event)
{
  const char *state = kc_ami_message_get (event, "ChannelState");
  guint64 value;

  set_field (&channel->linkedid, kc_ami_message_get (event, "Linkedid"));
  set_field (&channel->channel, kc_ami_message_get (event, "Channel"));
  set_field (&channel->number, kc_ami_message_get (event, "CallerIDNum"));
  set_field (&channel->name, kc_ami_message_get (event, "CallerIDName"));
  set_field (&channel->connected, kc_ami_message_get (event, "ConnectedLineNum"));
  if (state && g_ascii_string_to_unsigned (state, 10, 0, 99, &value, NULL))
    channel->state = (int) value;
}

/* A channel gone: remembered a while, so that the rows a poll still lists
 * for it are not taken for a call AMI missed. One AMI never saw begin (it
 * began while AMI was down) is known by what its Hangup says of it. */
static gboolean
hang_up (KcAmiCalls   *self,
         KcAmiMessage *event,
         const char   *uniqueid,
         gint64        now_us)
{
  Channel *channel = uniqueid ? g_hash_table_lookup (self->channels, uniqueid) : NULL;
  g_autoptr (GHashTable) lone = NULL;
  HungUp *entry;
  const char *from, *from_name;
  char *to;

  if (uniqueid == NULL)
    return FALSE;
  if (channel == NULL)
    {
      lone = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, channel_free);
      channel = g_new0 (Channel, 1);
      channel->uniqueid = g_strdup (uniqueid);
      channel->created_us = now_us;
      set_field (&channel->exten, kc_ami_message_get (event, "Exten"));
      update_channel (channel, event);
      g_hash_table_insert (lone, channel->uniqueid, channel);
    }
  parties (self, channel, &from, &to, &from_name);
  entry = g_new0 (HungUp, 1);
  entry->uniqueid = g_strdup (uniqueid);
  entry->from = g_strdup (from);
  entry->to = to;
  entry->created_us = lone ? 0 : channel->created_us;
  entry->hung_up_us = now_us;
  g_ptr_array_add (self->hung_up, entry);
  if (lone == NULL)
    g_hash_table_remove (self->channels, uniqueid);
  /* Rows may hide now: the snapshot changes either way */
  return TRUE;
}

static void
forget_old_hang_ups (KcAmiCalls *self,
                     gint64      now_us)
{
  for (guint i = self->hung_up->len; i > 0; i--)
    if (now_us - ((HungUp *) g_ptr_array_index (self->hung_up, i - 1))->hung_up_us
        > HUNG_UP_MEMORY_US)
      g_ptr_array_remove_index (self->hung_up, i - 1);
}

gboolean
kc_ami_calls_handle_event (KcAmiCalls   *self,
                           KcAmiMessage *event,
                           gint64        now_us)
{
  const char *uniqueid = kc_ami_message_get (event, "Uniqueid");
  Channel *channel;

  g_return_val_if_fail (KC_IS_AMI_CALLS (self), FALSE);
  g_return_val_if_fail (event != NULL, FALSE);

  forget_old_hang_ups (self, now_us);

  if (kc_ami_message_is_event (event, "Hangup"))
    return hang_up (self, event, uniqueid, now_us);

  /* Dial (1.8, 11: SubEvent Begin, UniqueID and DestUniqueID) and
   * DialBegin (12+: Uniqueid and DestUniqueid) tie the dialled channel to
   * the caller's: Asterisk 1.8 gives no Linkedid */
  if (kc_ami_message_is_event (event, "DialBegin") ||
      (kc_ami_message_is_event (event, "Dial") &&
       value_is (event, "SubEvent", "Begin")))
    {
      const char *dest = kc_ami_message_get (event, "DestUniqueid");
      Channel *dialled;

      if (uniqueid == NULL || dest == NULL)
        return FALSE;
      dialled = ensure_channel (self, dest, kc_ami_message_get (event, "DestExten"), now_us);
      if (dialled->dialled_by == NULL)
        dialled->dialled_by = g_strdup (uniqueid);
      set_field (&dialled->channel, kc_ami_message_get (event, "DestChannel"));
      if (dialled->channel == NULL)
        set_field (&dialled->channel, kc_ami_message_get (event, "Destination"));
      return TRUE;
    }

  /* Any other event of a channel keeps what it says of it: Newchannel,
   * Newstate, NewCallerid, BridgeEnter, ... Bridge (11) names two */
  if (kc_ami_message_is_event (event, "Bridge"))
    return FALSE;
  if (uniqueid == NULL || kc_ami_message_get (event, "Channel") == NULL)
    return FALSE;
  channel = ensure_channel (self, uniqueid, kc_ami_message_get (event, "Exten"), now_us);
  update_channel (channel, event);
  return TRUE;
}

static gboolean row_hung_up (KcAmiCalls         *self,
                             const KcActiveCall *row);

void
kc_ami_calls_clear (KcAmiCalls *self)
{
  g_return_if_fail (KC_IS_AMI_CALLS (self));
  /* The last poll stays: it is what the calls under way are known by. Not
   * its rows of calls AMI saw end: with the hang-ups forgotten, they would
   * be taken for calls under way until the next poll, and pop up again. */
  for (guint i = self->poll_rows->len; i > 0; i--)
    if (row_hung_up (self, g_ptr_array_index (self->poll_rows, i - 1)))
      g_ptr_array_remove_index (self->poll_rows, i - 1);
  g_hash_table_remove_all (self->channels);
  g_ptr_array_set_size (self->hung_up, 0);
  self->cleared_us = g_get_real_time ();
}

guint
kc_ami_calls_get_n_channels (KcAmiCalls *self)
{
  g_return_val_if_fail (KC_IS_AMI_CALLS (self), 0);
  return g_hash_table_size (self->channels);
}

static gint64
row_start_us (const KcActiveCall *row,
              gint64              at_us)
{
  return at_us - MAX (row->call_duration, 0) * G_USEC_PER_SEC;
}

static gboolean
starts_agree (gint64 a_us,
              gint64 b_us)
{
  return ABS (a_us - b_us) <= (START_SLACK + 1) * G_USEC_PER_SEC;
}

/* Whether the poll's row is a channel AMI saw hang up */
static gboolean
row_hung_up (KcAmiCalls         *self,
             const KcActiveCall *row)
{
  gint64 start_us = row_start_us (row, self->poll_us);

  for (guint i = 0; i < self->hung_up->len; i++)
    {
      HungUp *entry = g_ptr_array_index (self->hung_up, i);

      /* A channel whose start AMI did not see: by its parties alone, as long
       * as the row began before the hang-up */
      if ((row->id && g_strcmp0 (row->id, entry->uniqueid) == 0) ||
          (g_strcmp0 (row->from_number, entry->from) == 0 &&
           g_strcmp0 (row->to_number, entry->to) == 0 &&
           (entry->created_us == 0 ? start_us <= entry->hung_up_us
                                   : starts_agree (start_us, entry->created_us))))
        return TRUE;
    }
  return FALSE;
}

/* Whether the poll's row is a channel AMI knows, alive or hung up */
static gboolean
row_is_known (KcAmiCalls         *self,
              const KcActiveCall *row)
{
  gint64 start_us = row_start_us (row, self->poll_us);
  GHashTableIter iter;
  Channel *channel;

  if (row->id && g_hash_table_contains (self->channels, row->id))
    return TRUE;
  if (row_hung_up (self, row))
    return TRUE;
  /* A PBX whose rows carry other ids (the SDK's shape): by the parties.
   * Not the row of the channel a call began with, when AMI did not see that
   * one (the call began before AMI came up): it has the same parties as
   * the phone it rings, and the call is named after it. */
  g_hash_table_iter_init (&iter, self->channels);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &channel))
    {
      const char *from, *from_name;
      g_autofree char *to = NULL;

      if (row->id && (g_strcmp0 (row->id, channel->dialled_by) == 0 ||
                      g_strcmp0 (row->id, channel->linkedid) == 0))
        continue;
      parties (self, channel, &from, &to, &from_name);
      if (g_strcmp0 (row->from_number, from) == 0 && g_strcmp0 (row->to_number, to) == 0 &&
          starts_agree (start_us, channel->created_us))
        return TRUE;
    }
  return FALSE;
}

/* Whether the poll lists the channel's call: its id, or its caller's row
 * from the same moment (the SDK's shape lists a call once) */
static gboolean
polled (KcAmiCalls *self,
        Channel    *channel)
{
  const char *from, *from_name;
  g_autofree char *to = NULL;

  parties (self, channel, &from, &to, &from_name);
  for (guint i = 0; i < self->poll_rows->len; i++)
    {
      const KcActiveCall *row = g_ptr_array_index (self->poll_rows, i);

      if ((row->id && g_strcmp0 (row->id, channel->uniqueid) == 0) ||
          (g_strcmp0 (row->from_number, from) == 0 &&
           starts_agree (row_start_us (row, self->poll_us), channel->created_us)))
        return TRUE;
    }
  return FALSE;
}

/* A channel of a call that began before AMI came up, and whose first
 * channel AMI never saw (a phone dialled just after the login). A call is
 * named after its first channel, as its CDR is, and only a poll sent since
 * AMI came up can list that one: the channel waits for it (the tracker
 * polls the moment AMI comes up, so one round trip), unless the last poll
 * already lists its call. */
static gboolean
waits_for_poll (KcAmiCalls *self,
                Channel    *channel)
{
  return self->poll_us < self->cleared_us && root_of (self, channel) == NULL &&
         !polled (self, channel);
}

static KcActiveCall *
copy_row (const KcActiveCall *row,
          gint64              duration)
{
  KcActiveCall *copy = g_new0 (KcActiveCall, 1);

  copy->id = g_strdup (row->id);
  copy->from_number = g_strdup (row->from_number);
  copy->from_name = g_strdup (row->from_name);
  copy->to_number = g_strdup (row->to_number);
  copy->to_name = g_strdup (row->to_name);
  copy->status = g_strdup (row->status);
  copy->answered_duration = row->answered_duration;
  copy->call_duration = duration;
  return copy;
}

void
kc_ami_calls_reconcile (KcAmiCalls *self,
                        GPtrArray  *poll_rows,
                        gint64      poll_sent_us)
{
  GHashTableIter iter;
  Channel *channel;

  g_return_if_fail (KC_IS_AMI_CALLS (self));
  g_return_if_fail (poll_rows != NULL);

  g_ptr_array_set_size (self->poll_rows, 0);
  for (guint i = 0; i < poll_rows->len; i++)
    {
      const KcActiveCall *row = g_ptr_array_index (poll_rows, i);

      g_ptr_array_add (self->poll_rows, copy_row (row, row->call_duration));
    }
  self->poll_us = poll_sent_us;

  /* A channel that was there before the poll and that the poll does not
   * list has gone without AMI saying so */
  g_hash_table_iter_init (&iter, self->channels);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &channel))
    if (channel->created_us + G_USEC_PER_SEC < poll_sent_us && !polled (self, channel))
      {
        g_message ("Channel %s was not in the PBX's list of calls; it has ended",
                   channel->uniqueid);
        g_hash_table_iter_remove (&iter);
      }
}

GPtrArray *
kc_ami_calls_get_rows (KcAmiCalls *self,
                       gint64      now_us)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) kc_active_call_free);
  GHashTableIter iter;
  Channel *channel;

  g_return_val_if_fail (KC_IS_AMI_CALLS (self), rows);

  g_hash_table_iter_init (&iter, self->channels);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &channel))
    {
      KcActiveCall *row;
      const char *from, *from_name;

      if (waits_for_poll (self, channel))
        continue;
      row = g_new0 (KcActiveCall, 1);
      parties (self, channel, &from, &row->to_number, &from_name);
      row->id = g_strdup (channel->uniqueid);
      row->from_number = g_strdup (from);
      row->from_name = g_strdup (from_name);
      row->status = g_strdup (channel->state == STATE_UP ? "1" : "0");
      row->answered_duration = -1;
      row->call_duration = MAX (now_us - channel->created_us, 0) / G_USEC_PER_SEC;
      g_ptr_array_add (rows, row);
    }

  /* What the last poll saw and AMI does not account for (a call that began
   * while AMI was down), as far on as time has gone since */
  for (guint i = 0; i < self->poll_rows->len; i++)
    {
      const KcActiveCall *row = g_ptr_array_index (self->poll_rows, i);

      if (!row_is_known (self, row))
        g_ptr_array_add (rows,
                         copy_row (row, row->call_duration
                                          + MAX (now_us - self->poll_us, 0) / G_USEC_PER_SEC));
    }
  return rows;
}

static void
kc_ami_calls_finalize (GObject *object)
{
  KcAmiCalls *self = KC_AMI_CALLS (object);

  g_clear_pointer (&self->channels, g_hash_table_unref);
  g_clear_pointer (&self->hung_up, g_ptr_array_unref);
  g_clear_pointer (&self->poll_rows, g_ptr_array_unref);

  G_OBJECT_CLASS (kc_ami_calls_parent_class)->finalize (object);
}

static void
kc_ami_calls_class_init (KcAmiCallsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kc_ami_calls_finalize;
}

static void
kc_ami_calls_init (KcAmiCalls *self)
{
  self->channels = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, channel_free);
  self->hung_up = g_ptr_array_new_with_free_func (hung_up_free);
  self->poll_rows = g_ptr_array_new_with_free_func ((GDestroyNotify) kc_active_call_free);
}

KcAmiCalls *
kc_ami_calls_new (void)
{
  return g_object_new (KC_TYPE_AMI_CALLS, NULL);
}
