/* kc-follow-up.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-follow-up"

#include "kc-follow-up.h"
#include "kc-store-call-back.h"

/* A sync writes a page every few tens of milliseconds: one reading for a
 * burst of changes, soon enough to look live */
#define REFRESH_DELAY_MS 250

struct _KcFollowUp
{
  GObject    parent_instance;

  KcStore   *store;
  char      *extension;
  GPtrArray *items; /* KcCallBack */
  guint      refresh_source;
  char      *last_error; /* logged once until the reading works again */
};

static void kc_follow_up_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (KcFollowUp, kc_follow_up, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      kc_follow_up_list_model_init))

static GType
get_item_type (GListModel *model)
{
  return KC_TYPE_CALL_BACK;
}

static guint
get_n_items (GListModel *model)
{
  return KC_FOLLOW_UP (model)->items->len;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  KcFollowUp *self = KC_FOLLOW_UP (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
kc_follow_up_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static gboolean
same_item (GPtrArray *a,
           guint      i,
           GPtrArray *b,
           guint      j)
{
  return kc_call_back_equal (g_ptr_array_index (a, i), g_ptr_array_index (b, j));
}

/* Swaps in the new list and tells of the one stretch that differs: a
 * caller reached or added leaves the rows around it alone on screen */
static void
replace_items (KcFollowUp *self,
               GPtrArray  *items)
{
  g_autoptr (GPtrArray) old = self->items;
  guint prefix = 0, suffix = 0;

  while (prefix < old->len && prefix < items->len && same_item (old, prefix, items, prefix))
    prefix++;
  while (suffix < old->len - prefix && suffix < items->len - prefix &&
         same_item (old, old->len - 1 - suffix, items, items->len - 1 - suffix))
    suffix++;
  self->items = g_ptr_array_ref (items);
  if (prefix == old->len && prefix == items->len)
    return;
  g_list_model_items_changed (G_LIST_MODEL (self), prefix, old->len - prefix - suffix,
                              items->len - prefix - suffix);
}

void
kc_follow_up_refresh (KcFollowUp *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) items = NULL;

  g_return_if_fail (KC_IS_FOLLOW_UP (self));

  g_clear_handle_id (&self->refresh_source, g_source_remove);
  items = kc_store_get_call_backs (self->store, self->extension, &error);
  if (items == NULL)
    {
      /* The list stays as it was; the next change tries again */
      if (g_strcmp0 (self->last_error, error->message) != 0)
        g_warning ("Cannot read who is to be called back: %s", error->message);
      g_free (self->last_error);
      self->last_error = g_strdup (error->message);
      return;
    }
  g_clear_pointer (&self->last_error, g_free);
  replace_items (self, items);
}

static gboolean
refresh_later (gpointer user_data)
{
  KcFollowUp *self = user_data;

  self->refresh_source = 0;
  kc_follow_up_refresh (self);
  return G_SOURCE_REMOVE;
}

static void
on_store_changed (KcFollowUp *self)
{
  if (self->refresh_source == 0)
    self->refresh_source = g_timeout_add (REFRESH_DELAY_MS, refresh_later, self);
}

static void
kc_follow_up_dispose (GObject *object)
{
  KcFollowUp *self = KC_FOLLOW_UP (object);

  g_clear_handle_id (&self->refresh_source, g_source_remove);
  if (self->store)
    g_signal_handlers_disconnect_by_data (self->store, self);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (kc_follow_up_parent_class)->dispose (object);
}

static void
kc_follow_up_finalize (GObject *object)
{
  KcFollowUp *self = KC_FOLLOW_UP (object);

  g_ptr_array_unref (self->items);
  g_free (self->extension);
  g_free (self->last_error);

  G_OBJECT_CLASS (kc_follow_up_parent_class)->finalize (object);
}

static void
kc_follow_up_class_init (KcFollowUpClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kc_follow_up_dispose;
  object_class->finalize = kc_follow_up_finalize;
}

static void
kc_follow_up_init (KcFollowUp *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
}

KcFollowUp *
kc_follow_up_new (KcStore    *store,
                  const char *extension)
{
  KcFollowUp *self;

  g_return_val_if_fail (KC_IS_STORE (store), NULL);

  self = g_object_new (KC_TYPE_FOLLOW_UP, NULL);
  self->store = g_object_ref (store);
  self->extension = extension && *extension ? g_strdup (extension) : NULL;
  g_signal_connect_swapped (store, "changed", G_CALLBACK (on_store_changed), self);
  kc_follow_up_refresh (self);
  return self;
}

KcStore *
kc_follow_up_get_store (KcFollowUp *self)
{
  g_return_val_if_fail (KC_IS_FOLLOW_UP (self), NULL);
  return self->store;
}

const char *
kc_follow_up_get_extension (KcFollowUp *self)
{
  g_return_val_if_fail (KC_IS_FOLLOW_UP (self), NULL);
  return self->extension;
}

gboolean
kc_follow_up_mark_done (KcFollowUp  *self,
                        KcCallBack  *call_back,
                        GError     **error)
{
  g_return_val_if_fail (KC_IS_FOLLOW_UP (self), FALSE);
  g_return_val_if_fail (KC_IS_CALL_BACK (call_back), FALSE);

  if (!kc_store_mark_called_back (self->store, kc_call_back_get_key (call_back),
                                  kc_call_back_get_last_attempt (call_back), error))
    return FALSE;
  kc_follow_up_refresh (self);
  return TRUE;
}
