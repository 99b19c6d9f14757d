/* kc-call-back.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-call-back"

#include <string.h>

#include "kc-call-back.h"

struct _KcCallBack
{
  GObject  parent_instance;

  char    *key;
  char    *number;
  char    *call_id;
  gint64  *attempts;
  guint    n_attempts;
};

G_DEFINE_FINAL_TYPE (KcCallBack, kc_call_back, G_TYPE_OBJECT)

static void
kc_call_back_finalize (GObject *object)
{
  KcCallBack *self = KC_CALL_BACK (object);

  g_free (self->key);
  g_free (self->number);
  g_free (self->call_id);
  g_free (self->attempts);

  G_OBJECT_CLASS (kc_call_back_parent_class)->finalize (object);
}

static void
kc_call_back_class_init (KcCallBackClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kc_call_back_finalize;
}

static void
kc_call_back_init (KcCallBack *self)
{
}

KcCallBack *
kc_call_back_new (const char   *key,
                  const char   *number,
                  const char   *call_id,
                  const gint64 *attempts,
                  guint         n_attempts)
{
  KcCallBack *self;

  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (number != NULL, NULL);
  g_return_val_if_fail (attempts != NULL && n_attempts > 0, NULL);

  self = g_object_new (KC_TYPE_CALL_BACK, NULL);
  self->key = g_strdup (key);
  self->number = g_strdup (number);
  self->call_id = g_strdup (call_id);
  self->attempts = g_memdup2 (attempts, n_attempts * sizeof (gint64));
  self->n_attempts = n_attempts;
  return self;
}

const char *
kc_call_back_get_key (KcCallBack *self)
{
  g_return_val_if_fail (KC_IS_CALL_BACK (self), NULL);
  return self->key;
}

const char *
kc_call_back_get_number (KcCallBack *self)
{
  g_return_val_if_fail (KC_IS_CALL_BACK (self), NULL);
  return self->number;
}

const char *
kc_call_back_get_call_id (KcCallBack *self)
{
  g_return_val_if_fail (KC_IS_CALL_BACK (self), NULL);
  return self->call_id;
}

guint
kc_call_back_get_n_attempts (KcCallBack *self)
{
  g_return_val_if_fail (KC_IS_CALL_BACK (self), 0);
  return self->n_attempts;
}

gint64
kc_call_back_get_attempt (KcCallBack *self,
                          guint       index)
{
  g_return_val_if_fail (KC_IS_CALL_BACK (self), 0);
  g_return_val_if_fail (index < self->n_attempts, 0);
  return self->attempts[index];
}

gint64
kc_call_back_get_last_attempt (KcCallBack *self)
{
  g_return_val_if_fail (KC_IS_CALL_BACK (self), 0);
  return self->attempts[self->n_attempts - 1];
}

gboolean
kc_call_back_equal (KcCallBack *self,
                    KcCallBack *other)
{
  g_return_val_if_fail (KC_IS_CALL_BACK (self), FALSE);
  g_return_val_if_fail (KC_IS_CALL_BACK (other), FALSE);

  return g_str_equal (self->key, other->key) && g_str_equal (self->number, other->number) &&
         g_strcmp0 (self->call_id, other->call_id) == 0 && self->n_attempts == other->n_attempts &&
         memcmp (self->attempts, other->attempts, self->n_attempts * sizeof (gint64)) == 0;
}
