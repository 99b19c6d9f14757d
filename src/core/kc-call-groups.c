/* kc-call-groups.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-call-tracker"

#include <string.h>

#include "kc-call-groups.h"

/* Kerio's CALL_DURATION is whole seconds read at slightly different moments
 * than our clock, so a row may seem to start a second earlier or later from
 * one poll to the next, and two legs of one call, created a moment apart,
 * a second apart. */
#define START_JITTER 1

struct _KcCallGroups
{
  char       *extension; /* the operator's, NULL when none is set */
  guint       extension_digits;
  GListStore *calls;     /* the tracker's model of the calls in progress */
  GPtrArray  *groups;    /* Group: the calls of the last snapshot, by caller */
  GHashTable *by_leg;    /* leg id -> Group */
  guint64     n_legs_seen;
  GHashTable *unknown_statuses; /* STATUS values logged once */
};

/* One row of the snapshot being applied, or of the last one */
typedef struct
{
  char     *id;        /* the PBX's id, NULL when it sends none */
  char     *to_number; /* "" when missing */
  char     *from_name;
  char     *to_name;
  gint64    start;
  guint64   order;     /* channels in the order the PBX created them */
  gboolean  connected;
} Leg;

typedef struct
{
  char      *from_number; /* "" when missing */
  gint64     start;       /* of its first row, as first seen */
  GPtrArray *legs;        /* Leg: its rows in the last snapshot */
  GPtrArray *next_legs;   /* Leg: its rows in the snapshot being applied */
  KcCall    *call;        /* the operator's call; NULL before it, or once it ended */
  gboolean   done;        /* its call ended while other rows went on */
} Group;

static void
leg_free (gpointer data)
{
  Leg *leg = data;

  g_free (leg->id);
  g_free (leg->to_number);
  g_free (leg->from_name);
  g_free (leg->to_name);
  g_free (leg);
}

static void
group_free (gpointer data)
{
  Group *group = data;

  g_free (group->from_number);
  g_clear_pointer (&group->legs, g_ptr_array_unref);
  g_clear_pointer (&group->next_legs, g_ptr_array_unref);
  g_clear_object (&group->call);
  g_free (group);
}

/* Asterisk's unique ids are "<epoch>.<sequence>", the sequence counting the
 * channels the PBX has created: a dialled leg has a higher one than the
 * caller's. Other ids come after them, in the order first seen. */
static guint64
leg_order (const char *id,
           guint64     fallback)
{
  const char *dot = id ? strrchr (id, '.') : NULL;
  guint64 sequence;

  if (dot != NULL && dot != id &&
      g_ascii_string_to_unsigned (dot + 1, 10, 0, G_MAXUINT32, &sequence, NULL))
    return sequence;
  return (guint64) G_MAXUINT32 + 1 + fallback;
}

static gboolean
starts_agree (gint64 a,
              gint64 b)
{
  return ABS (a - b) <= START_JITTER;
}

static gboolean
group_has_start (const Group *group,
                 gint64       start)
{
  if (starts_agree (group->start, start))
    return TRUE;
  for (guint i = 0; i < group->legs->len; i++)
    if (starts_agree (((Leg *) g_ptr_array_index (group->legs, i))->start, start))
      return TRUE;
  for (guint i = 0; i < group->next_legs->len; i++)
    if (starts_agree (((Leg *) g_ptr_array_index (group->next_legs, i))->start, start))
      return TRUE;
  return FALSE;
}

static Group *
find_group (KcCallGroups  *self,
            const char    *id,
            const char    *from,
            gint64         start)
{
  Group *group = id ? g_hash_table_lookup (self->by_leg, id) : NULL;

  if (group != NULL)
    return group;
  for (guint i = 0; i < self->groups->len; i++)
    {
      group = g_ptr_array_index (self->groups, i);
      if (g_str_equal (group->from_number, from) && group_has_start (group, start))
        return group;
    }
  return NULL;
}

/* Whether the row belongs to the operator: to or from their extension, or
 * any row when no extension is set */
static gboolean
is_operator_leg (KcCallGroups  *self,
                 const Group   *group,
                 const Leg     *leg)
{
  return self->extension == NULL || g_str_equal (group->from_number, self->extension) ||
         g_str_equal (leg->to_number, self->extension);
}

static void
log_unknown_status (KcCallGroups  *self,
                    const char    *status)
{
  if (g_hash_table_contains (self->unknown_statuses, status))
    return;
  /* The value set was never published: a user who sees this can tell us */
  g_message ("Kerio Operator reported a live call STATUS \"%s\" that this program does not "
             "know; the call is taken as ringing. Please report it with a capture "
             "(--capture --capture-anonymize)",
             status);
  g_hash_table_add (self->unknown_statuses, g_strdup (status));
}

static void
add_row (KcCallGroups       *self,
         const KcActiveCall *row,
         gint64              now)
{
  /* A duration longer than the epoch is garbage; bounded, start times stay
   * in [0, now] and their differences cannot overflow. */
  gint64 start = now - CLAMP (row->call_duration, 0, MAX (now, 0));
  const char *from = row->from_number ? row->from_number : "";
  const char *id = row->id && *row->id ? row->id : NULL;
  Group *group = find_group (self, id, from, start);
  Leg *leg;

  if (kc_active_call_get_status (row) == KC_LIVE_STATUS_UNKNOWN)
    log_unknown_status (self, row->status);

  if (group == NULL)
    {
      group = g_new0 (Group, 1);
      group->from_number = g_strdup (from);
      group->start = start;
      group->legs = g_ptr_array_new_with_free_func (leg_free);
      group->next_legs = g_ptr_array_new_with_free_func (leg_free);
      g_ptr_array_add (self->groups, group);
    }

  /* Two rows with one id are one leg, as two ID-less rows to the same number
   * are: nothing tells them apart. */
  for (guint i = 0; i < group->next_legs->len; i++)
    {
      Leg *other = g_ptr_array_index (group->next_legs, i);

      if (id ? g_strcmp0 (other->id, id) == 0
             : other->id == NULL && g_strcmp0 (other->to_number, row->to_number ? row->to_number : "") == 0)
        {
          other->connected |= kc_active_call_is_connected (row);
          return;
        }
    }

  leg = g_new0 (Leg, 1);
  leg->id = g_strdup (id);
  leg->to_number = g_strdup (row->to_number ? row->to_number : "");
  leg->from_name = g_strdup (row->from_name);
  leg->to_name = g_strdup (row->to_name);
  leg->start = start;
  leg->order = leg_order (id, self->n_legs_seen++);
  leg->connected = kc_active_call_is_connected (row);
  g_ptr_array_add (group->next_legs, leg);
  if (id)
    g_hash_table_insert (self->by_leg, g_strdup (id), group);
}

/* The leg the call is named after: the channel the PBX created first */
static Leg *
first_leg (GPtrArray *legs)
{
  Leg *first = NULL;

  for (guint i = 0; i < legs->len; i++)
    {
      Leg *leg = g_ptr_array_index (legs, i);

      if (first == NULL || leg->order < first->order)
        first = leg;
    }
  return first;
}

/* Who took the call: the newest connected channel that is not `except` —
 * the dialled extension rather than the caller's own leg */
static const char *
answering_number (KcCallGroups  *self,
                  const Group   *group,
                  gboolean       operator_legs)
{
  Leg *best = NULL;

  for (guint i = 0; i < group->legs->len; i++)
    {
      Leg *leg = g_ptr_array_index (group->legs, i);

      if (leg->connected && is_operator_leg (self, group, leg) == operator_legs &&
          *leg->to_number != '\0' && (best == NULL || leg->order > best->order))
        best = leg;
    }
  return best ? best->to_number : NULL;
}

static KcCall *
new_call (KcCallGroups  *self,
          Group         *group,
          Leg           *named_after,
          Leg           *operator_leg)
{
  const char *to = operator_leg->to_number;
  g_autofree char *derived_key = NULL;
  KcDirection direction;

  if (self->extension && !g_str_equal (group->from_number, self->extension))
    to = self->extension;
  else if (self->extension == NULL)
    to = named_after->to_number;
  if (!kc_classify_call (group->from_number, to, self->extension, self->extension_digits,
                         &direction))
    direction = KC_DIRECTION_INCOMING;

  /* Without PBX ids the key has the shape the sync gives ID-less CDRs,
   * START-FROM-TO, so that its CDR takes the live row over. */
  if (named_after->id == NULL)
    derived_key = g_strdup_printf ("%" G_GINT64_FORMAT "-%s-%s", group->start,
                                   group->from_number, to);
  return kc_call_new (derived_key ? derived_key : named_after->id, group->from_number,
                      operator_leg->from_name ? operator_leg->from_name : named_after->from_name,
                      to, operator_leg->to_name, direction, group->start);
}

static void
remove_from_model (KcCallGroups  *self,
                   KcCall        *call)
{
  guint position;

  if (g_list_store_find (self->calls, call, &position))
    g_list_store_remove (self->calls, position);
}


static void
end_call (KcCallGroups  *self,
          Group         *group,
          KcCallState    state,
          gint64         now,
          KcCallChanges *changes)
{
  KcCall *call = g_steal_pointer (&group->call);
  KcCallState old = kc_call_get_state (call);

  remove_from_model (self, call);
  kc_call_set_end_time (call, now);
  kc_call_set_state (call, state);
  g_ptr_array_add (changes->ended, call);
  g_array_append_val (changes->ended_old, old);
}

/* One group after its rows of the snapshot are in: announce, follow or end
 * the operator's call */
static void
update_group (KcCallGroups  *self,
              Group         *group,
              gint64         now,
              KcCallChanges *changes)
{
  Leg *operator_leg = NULL;
  gboolean operator_connected = FALSE;
  gboolean others_connected = FALSE;

  for (guint i = 0; i < group->legs->len; i++)
    {
      Leg *leg = g_ptr_array_index (group->legs, i);

      if (is_operator_leg (self, group, leg))
        {
          if (operator_leg == NULL || leg->order < operator_leg->order)
            operator_leg = leg;
          operator_connected |= leg->connected;
        }
      else
        others_connected |= leg->connected;
    }

  if (group->call == NULL)
    {
      if (operator_leg == NULL || group->done)
        return;
      group->call = new_call (self, group, first_leg (group->legs), operator_leg);
      g_list_store_append (self->calls, group->call);
      /* A call first seen already connected is announced in that state,
       * with no separate change. */
      if (operator_connected)
        {
          kc_call_set_answer_time (group->call, now);
          kc_call_set_state (group->call, KC_CALL_STATE_TALKING);
        }
      g_ptr_array_add (changes->new_calls, g_object_ref (group->call));
    }
  else if (operator_leg != NULL)
    {
      if (operator_connected && kc_call_get_state (group->call) == KC_CALL_STATE_RINGING)
        {
          kc_call_set_answer_time (group->call, now);
          g_ptr_array_add (changes->answered, g_object_ref (group->call));
        }
    }
  else if (group->legs->len == 0)
    {
      end_call (self, group,
                kc_call_get_state (group->call) == KC_CALL_STATE_TALKING
                  ? KC_CALL_STATE_FINISHED : KC_CALL_STATE_MISSED,
                now, changes);
      return;
    }
  else if (kc_call_get_state (group->call) == KC_CALL_STATE_TALKING || others_connected)
    {
      /* The operator's leg is gone while the caller's call goes on: a
       * colleague took it, or the operator handed it over. Either way it is
       * over for this operator, and not missed. */
      if (kc_call_get_state (group->call) == KC_CALL_STATE_RINGING)
        kc_call_set_answered_by (group->call, answering_number (self, group, FALSE));
      group->done = TRUE;
      end_call (self, group, KC_CALL_STATE_FINISHED, now, changes);
      return;
    }
  /* else: no longer ringing here while still ringing elsewhere (a queue
   * moving on): the caller is still waiting, for this operator too, until
   * someone answers or the caller gives up. */

  /* Without an extension a call to a group is one call; say where it was
   * answered when that was not the number called. */
  if (self->extension == NULL && group->call != NULL && operator_connected)
    {
      const char *number = answering_number (self, group, TRUE);

      if (g_strcmp0 (number, kc_call_get_to_number (group->call)) != 0)
        kc_call_set_answered_by (group->call, number);
    }
}


void
kc_call_groups_apply (KcCallGroups  *self,
                      GPtrArray     *rows,
                      gint64         now,
                      KcCallChanges *changes)
{
  g_hash_table_remove_all (self->by_leg);
  for (guint i = 0; i < self->groups->len; i++)
    {
      Group *group = g_ptr_array_index (self->groups, i);

      for (guint j = 0; j < group->legs->len; j++)
        {
          Leg *leg = g_ptr_array_index (group->legs, j);

          if (leg->id)
            g_hash_table_insert (self->by_leg, g_strdup (leg->id), group);
        }
    }

  for (guint i = 0; i < rows->len; i++)
    add_row (self, g_ptr_array_index (rows, i), now);

  for (guint i = 0; i < self->groups->len; i++)
    {
      Group *group = g_ptr_array_index (self->groups, i);
      GPtrArray *legs = group->legs;

      group->legs = group->next_legs;
      group->next_legs = legs;
      g_ptr_array_set_size (group->next_legs, 0);
      update_group (self, group, now, changes);
    }
  for (guint i = self->groups->len; i > 0; i--)
    {
      Group *group = g_ptr_array_index (self->groups, i - 1);

      if (group->legs->len == 0 && group->call == NULL)
        g_ptr_array_remove_index (self->groups, i - 1);
    }

}

KcCallGroups *
kc_call_groups_new (GListStore *calls,
                    const char *extension,
                    guint       extension_digits)
{
  KcCallGroups *self = g_new0 (KcCallGroups, 1);

  self->calls = g_object_ref (calls);
  self->extension = extension && *extension ? g_strdup (extension) : NULL;
  self->extension_digits = extension_digits;
  self->groups = g_ptr_array_new_with_free_func (group_free);
  self->by_leg = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->unknown_statuses = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return self;
}

void
kc_call_groups_free (KcCallGroups *self)
{
  if (self == NULL)
    return;
  g_free (self->extension);
  g_clear_object (&self->calls);
  g_ptr_array_unref (self->groups);
  g_hash_table_unref (self->by_leg);
  g_hash_table_unref (self->unknown_statuses);
  g_free (self);
}

void
kc_call_changes_init (KcCallChanges *changes)
{
  changes->new_calls = g_ptr_array_new_with_free_func (g_object_unref);
  changes->answered = g_ptr_array_new_with_free_func (g_object_unref);
  changes->ended = g_ptr_array_new_with_free_func (g_object_unref);
  changes->ended_old = g_array_new (FALSE, FALSE, sizeof (KcCallState));
}

void
kc_call_changes_clear (KcCallChanges *changes)
{
  g_clear_pointer (&changes->new_calls, g_ptr_array_unref);
  g_clear_pointer (&changes->answered, g_ptr_array_unref);
  g_clear_pointer (&changes->ended, g_ptr_array_unref);
  g_clear_pointer (&changes->ended_old, g_array_unref);
}
