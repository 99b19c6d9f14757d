/* kc-caller-context.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-caller-context"

#include "kc-caller-context.h"
#include "kc-caller-summary.h"
#include "kc-crm.h"
#include "kc-store-context.h"

struct _KcCallerContext
{
  GObject        parent_instance;

  KcStore       *store;
  KcCrm         *crm;          /* NULL without a lookup URL */
  char          *crm_template; /* NULL without a CRM URL */
  KcCallTracker *tracker;
  GHashTable    *in_flight;    /* numbers being looked up */
  GCancellable  *cancellable;
};

G_DEFINE_FINAL_TYPE (KcCallerContext, kc_caller_context, G_TYPE_OBJECT)

enum
{
  NAME_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static gboolean
same_local_day (gint64 a,
                gint64 b)
{
  g_autoptr (GDateTime) x = g_date_time_new_from_unix_local (a);
  g_autoptr (GDateTime) y = g_date_time_new_from_unix_local (b);

  return x != NULL && y != NULL && g_date_time_get_year (x) == g_date_time_get_year (y) &&
         g_date_time_get_day_of_year (x) == g_date_time_get_day_of_year (y);
}

char *
kc_caller_context_get_name (KcCallerContext *self,
                            const char      *number,
                            const char      *pbx_name)
{
  g_autoptr (GError) error = NULL;
  KcCallerNames names;
  char *name;

  g_return_val_if_fail (KC_IS_CALLER_CONTEXT (self), NULL);

  if (!kc_store_get_caller_names (self->store, number, &names, &error))
    {
      g_debug ("No name for %s: %s", number, error->message);
      return pbx_name && *pbx_name ? g_strdup (pbx_name) : NULL;
    }
  if (pbx_name != NULL && *pbx_name != '\0' && g_strcmp0 (pbx_name, number) != 0)
    {
      g_free (names.pbx);
      names.pbx = g_strdup (pbx_name);
    }
  name = g_strdup (kc_caller_names_best (&names));
  kc_caller_names_clear (&names);
  return name;
}

char *
kc_caller_context_describe (KcCallerContext *self,
                            const char      *number,
                            gint64           now)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDateTime) local = g_date_time_new_from_unix_local (now);
  KcCallerHistory history;

  g_return_val_if_fail (KC_IS_CALLER_CONTEXT (self), NULL);

  if (number == NULL || *number == '\0' || local == NULL)
    return NULL;
  if (!kc_store_get_caller_history (self->store, number, kc_caller_summary_since (now), &history,
                                    &error))
    {
      g_debug ("No history of %s: %s", number, error->message);
      return NULL;
    }
  return kc_caller_summary_format (&history, local);
}

/* Kept on the call: read once, when the call is new, so the row the call
 * itself leaves in the history once it ends never counts */
#define CALL_HISTORY_KEY "kc-caller-history"

const char *
kc_caller_context_describe_call (KcCallerContext *self,
                                 KcCall          *call)
{
  char *line;
  const char *number;

  g_return_val_if_fail (KC_IS_CALLER_CONTEXT (self), NULL);
  g_return_val_if_fail (KC_IS_CALL (call), NULL);

  line = g_object_get_data (G_OBJECT (call), CALL_HISTORY_KEY);
  if (line != NULL)
    return *line != '\0' ? line : NULL;
  number = kc_call_get_direction (call) == KC_DIRECTION_INCOMING ? kc_call_get_from_number (call)
                                                                  : kc_call_get_to_number (call);
  /* Before the first sync has read the PBX's history, "no earlier calls"
   * could be untrue: nothing is said. Else an index read (bench-query's
   * "caller" row: well under 5 ms for a million calls), cheap enough for
   * the moment a call pops up. */
  if (kc_store_get_complete_until (self->store) >= 0)
    line = kc_caller_context_describe (self, number, g_get_real_time () / G_USEC_PER_SEC);
  g_object_set_data_full (G_OBJECT (call), CALL_HISTORY_KEY, line ? (gpointer) line : g_strdup (""),
                          g_free);
  return line;
}

typedef struct
{
  KcCallerContext *self;
  char            *number;
} LookUp;

static void
look_up_free (LookUp *look_up)
{
  g_object_unref (look_up->self);
  g_free (look_up->number);
  g_free (look_up);
}

static void
on_looked_up (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  LookUp *look_up = user_data;
  KcCallerContext *self = look_up->self;
  g_autoptr (GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *url = NULL;
  g_autofree char *old_name = NULL;
  g_autofree char *old_url = NULL;
  gint64 checked_at;

  g_hash_table_remove (self->in_flight, look_up->number);
  /* A failure was logged (once); the next call asks again. An answer that
   * was on its way when the context went has nowhere to go. */
  if (!kc_crm_lookup_finish (KC_CRM (source), result, &name, &url, &error) ||
      self->store == NULL)
    goto done;

  if (!kc_store_get_crm_answer (self->store, look_up->number, &old_name, &old_url, &checked_at,
                                &error) ||
      !kc_store_set_crm_answer (self->store, look_up->number, name, url,
                                g_get_real_time () / G_USEC_PER_SEC, &error))
    {
      g_message ("The CRM's answer for %s cannot be kept: %s", look_up->number, error->message);
      goto done;
    }
  if (g_strcmp0 (name, old_name) != 0 || g_strcmp0 (url, old_url) != 0)
    g_signal_emit (self, signals[NAME_CHANGED], 0, look_up->number);

done:
  look_up_free (look_up);
}

void
kc_caller_context_look_up (KcCallerContext *self,
                           const char      *number,
                           const char      *extension)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *url = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 checked_at;
  LookUp *look_up;

  g_return_if_fail (KC_IS_CALLER_CONTEXT (self));

  if (self->crm == NULL || number == NULL || *number == '\0' ||
      g_hash_table_contains (self->in_flight, number))
    return;
  if (!kc_store_get_crm_answer (self->store, number, &name, &url, &checked_at, &error))
    g_debug ("The CRM's last answer for %s cannot be read: %s", number, error->message);
  else if (checked_at >= 0 && same_local_day (checked_at, now))
    return;

  look_up = g_new0 (LookUp, 1);
  look_up->self = g_object_ref (self);
  look_up->number = g_strdup (number);
  g_hash_table_add (self->in_flight, g_strdup (number));
  kc_crm_lookup_async (self->crm, number, extension, self->cancellable, on_looked_up, look_up);
}

gboolean
kc_caller_context_has_crm (KcCallerContext *self)
{
  g_return_val_if_fail (KC_IS_CALLER_CONTEXT (self), FALSE);
  return self->crm != NULL || self->crm_template != NULL;
}

char *
kc_caller_context_get_crm_url (KcCallerContext *self,
                               const char      *number)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *url = NULL;
  gint64 checked_at;

  g_return_val_if_fail (KC_IS_CALLER_CONTEXT (self), NULL);

  if (number == NULL || *number == '\0')
    return NULL;
  if (self->crm != NULL &&
      kc_store_get_crm_answer (self->store, number, &name, &url, &checked_at, &error) &&
      kc_crm_is_web_url (url))
    return g_steal_pointer (&url);
  if (self->crm_template == NULL)
    return NULL;
  return kc_crm_expand_template (self->crm_template, number, NULL);
}

/* The other party of a call, as the history keeps it, and their PBX name */
static void
on_call (KcCallerContext *self,
         KcCall          *call)
{
  gboolean incoming = kc_call_get_direction (call) == KC_DIRECTION_INCOMING;
  const char *number = incoming ? kc_call_get_from_number (call) : kc_call_get_to_number (call);
  const char *name = incoming ? kc_call_get_from_name (call) : kc_call_get_to_name (call);
  g_autoptr (GError) error = NULL;

  if (number == NULL || *number == '\0')
    return;
  if (name != NULL && *name != '\0' && g_strcmp0 (name, number) != 0 &&
      !kc_store_set_pbx_name (self->store, number, name, &error))
    g_debug ("The PBX's name of %s cannot be kept: %s", number, error->message);
  kc_caller_context_look_up (self, number, kc_call_get_extension (call));
}

void
kc_caller_context_names_changed (KcCallerContext *self,
                                 const char      *number)
{
  g_return_if_fail (KC_IS_CALLER_CONTEXT (self));
  g_signal_emit (self, signals[NAME_CHANGED], 0, number);
}

void
kc_caller_context_watch (KcCallerContext *self,
                         KcCallTracker   *tracker)
{
  g_return_if_fail (KC_IS_CALLER_CONTEXT (self));
  g_return_if_fail (KC_IS_CALL_TRACKER (tracker));

  if (self->tracker != NULL)
    g_signal_handlers_disconnect_by_data (self->tracker, self);
  g_set_object (&self->tracker, tracker);
  g_signal_connect_object (tracker, "incoming-call", G_CALLBACK (on_call), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (tracker, "outgoing-call", G_CALLBACK (on_call), self,
                           G_CONNECT_SWAPPED);
}

static void
kc_caller_context_dispose (GObject *object)
{
  KcCallerContext *self = KC_CALLER_CONTEXT (object);

  g_cancellable_cancel (self->cancellable);
  if (self->tracker != NULL)
    g_signal_handlers_disconnect_by_data (self->tracker, self);
  g_clear_object (&self->tracker);
  g_clear_object (&self->crm);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (kc_caller_context_parent_class)->dispose (object);
}

static void
kc_caller_context_finalize (GObject *object)
{
  KcCallerContext *self = KC_CALLER_CONTEXT (object);

  g_clear_object (&self->cancellable);
  g_hash_table_unref (self->in_flight);
  g_free (self->crm_template);

  G_OBJECT_CLASS (kc_caller_context_parent_class)->finalize (object);
}

static void
kc_caller_context_class_init (KcCallerContextClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kc_caller_context_dispose;
  object_class->finalize = kc_caller_context_finalize;

  signals[NAME_CHANGED] = g_signal_new ("name-changed", G_TYPE_FROM_CLASS (klass),
                                        G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                                        G_TYPE_STRING);
}

static void
kc_caller_context_init (KcCallerContext *self)
{
  self->in_flight = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->cancellable = g_cancellable_new ();
}

KcCallerContext *
kc_caller_context_new (KcStore    *store,
                       const char *lookup_template,
                       const char *crm_template)
{
  KcCallerContext *self;

  g_return_val_if_fail (KC_IS_STORE (store), NULL);

  self = g_object_new (KC_TYPE_CALLER_CONTEXT, NULL);
  self->store = g_object_ref (store);
  if (lookup_template != NULL && *lookup_template != '\0')
    self->crm = kc_crm_new (lookup_template);
  if (crm_template != NULL && *crm_template != '\0')
    self->crm_template = g_strdup (crm_template);
  return self;
}
