/* kc-call.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-call"

#include "kc-call.h"

struct _KcCall
{
  GObject      parent_instance;

  char        *call_id;
  char        *from_number;
  char        *from_name;
  char        *to_number;
  char        *to_name;
  KcDirection  direction;
  KcCallState  state;
  gint64       start_time;
  gint64       answer_time;
  gint64       end_time;
  char        *answered_by;
  gboolean     corrected;
};

G_DEFINE_FINAL_TYPE (KcCall, kc_call, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STATE,
  PROP_END_TIME,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

static void
kc_call_finalize (GObject *object)
{
  KcCall *self = KC_CALL (object);

  g_free (self->call_id);
  g_free (self->from_number);
  g_free (self->from_name);
  g_free (self->to_number);
  g_free (self->to_name);
  g_free (self->answered_by);

  G_OBJECT_CLASS (kc_call_parent_class)->finalize (object);
}

static void
kc_call_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  KcCall *self = KC_CALL (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_int (value, self->state);
      break;
    case PROP_END_TIME:
      g_value_set_int64 (value, self->end_time);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kc_call_class_init (KcCallClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = kc_call_finalize;
  object_class->get_property = kc_call_get_property;

  /* Read-only for bindings; the tracker changes them through the setters so
   * views can follow with notify::state. */
  props[PROP_STATE] = g_param_spec_int ("state", NULL, NULL, KC_CALL_STATE_RINGING,
                                        KC_CALL_STATE_MISSED, KC_CALL_STATE_RINGING,
                                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY |
                                          G_PARAM_STATIC_STRINGS);
  props[PROP_END_TIME] = g_param_spec_int64 ("end-time", NULL, NULL, 0, G_MAXINT64, 0,
                                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY |
                                               G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
kc_call_init (KcCall *self)
{
}

KcCall *
kc_call_new (const char  *call_id,
             const char  *from_number,
             const char  *from_name,
             const char  *to_number,
             const char  *to_name,
             KcDirection  direction,
             gint64       start_time)
{
  KcCall *self = g_object_new (KC_TYPE_CALL, NULL);

  self->call_id = g_strdup (call_id);
  self->from_number = g_strdup (from_number ? from_number : "");
  self->from_name = g_strdup (from_name);
  self->to_number = g_strdup (to_number ? to_number : "");
  self->to_name = g_strdup (to_name);
  self->direction = direction;
  self->start_time = start_time;
  self->state = KC_CALL_STATE_RINGING;
  return self;
}

const char *
kc_call_get_call_id (KcCall *self)
{
  g_return_val_if_fail (KC_IS_CALL (self), NULL);
  return self->call_id;
}

const char *
kc_call_get_from_number (KcCall *self)
{
  g_return_val_if_fail (KC_IS_CALL (self), NULL);
  return self->from_number;
}

const char *
kc_call_get_from_name (KcCall *self)
{
  g_return_val_if_fail (KC_IS_CALL (self), NULL);
  return self->from_name;
}

const char *
kc_call_get_to_number (KcCall *self)
{
  g_return_val_if_fail (KC_IS_CALL (self), NULL);
  return self->to_number;
}

const char *
kc_call_get_to_name (KcCall *self)
{
  g_return_val_if_fail (KC_IS_CALL (self), NULL);
  return self->to_name;
}

const char *
kc_call_get_extension (KcCall *self)
{
  g_return_val_if_fail (KC_IS_CALL (self), NULL);
  return self->direction == KC_DIRECTION_INCOMING ? self->to_number : self->from_number;
}

KcDirection
kc_call_get_direction (KcCall *self)
{
  g_return_val_if_fail (KC_IS_CALL (self), KC_DIRECTION_INCOMING);
  return self->direction;
}

KcCallState
kc_call_get_state (KcCall *self)
{
  g_return_val_if_fail (KC_IS_CALL (self), KC_CALL_STATE_RINGING);
  return self->state;
}

void
kc_call_set_state (KcCall      *self,
                   KcCallState  state)
{
  g_return_if_fail (KC_IS_CALL (self));

  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_STATE]);
}

gint64
kc_call_get_start_time (KcCall *self)
{
  g_return_val_if_fail (KC_IS_CALL (self), 0);
  return self->start_time;
}

gint64
kc_call_get_answer_time (KcCall *self)
{
  g_return_val_if_fail (KC_IS_CALL (self), 0);
  return self->answer_time;
}

void
kc_call_set_answer_time (KcCall *self,
                         gint64  answer_time)
{
  g_return_if_fail (KC_IS_CALL (self));
  self->answer_time = answer_time;
}

gint64
kc_call_get_end_time (KcCall *self)
{
  g_return_val_if_fail (KC_IS_CALL (self), 0);
  return self->end_time;
}

void
kc_call_set_end_time (KcCall *self,
                      gint64  end_time)
{
  g_return_if_fail (KC_IS_CALL (self));

  if (self->end_time == end_time)
    return;
  self->end_time = end_time;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_END_TIME]);
}

const char *
kc_call_get_answered_by (KcCall *self)
{
  g_return_val_if_fail (KC_IS_CALL (self), NULL);
  return self->answered_by;
}

void
kc_call_set_answered_by (KcCall     *self,
                         const char *number)
{
  g_return_if_fail (KC_IS_CALL (self));

  if (number != NULL && *number == '\0')
    number = NULL;
  if (g_strcmp0 (self->answered_by, number) == 0)
    return;
  g_free (self->answered_by);
  self->answered_by = g_strdup (number);
}

gboolean
kc_call_get_corrected (KcCall *self)
{
  g_return_val_if_fail (KC_IS_CALL (self), FALSE);
  return self->corrected;
}

void
kc_call_set_corrected (KcCall   *self,
                       gboolean  corrected)
{
  g_return_if_fail (KC_IS_CALL (self));
  self->corrected = !!corrected;
}
