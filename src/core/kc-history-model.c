/* kc-history-model.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-history-model"

#include "kc-history-model.h"

/* A page is a few screens of rows; the cache holds enough pages for the
 * screens around where the user looks, wherever that is in the history. */
#define PAGE_SIZE 200
#define MAX_PAGES 16

/* A sync writes CDRs, then links recordings: a burst of changes costs one
 * refresh. */
#define REFRESH_INTERVAL_US (250 * G_TIME_SPAN_MILLISECOND)

/* Ahead of GTK's layout (GDK_PRIORITY_REDRAW): a change noticed before a
 * frame is applied before that frame asks for rows. */
#define REFRESH_PRIORITY G_PRIORITY_HIGH_IDLE

/* Behind GTK's layout and paint: pages are read ahead between frames, not
 * inside one. */
#define PREFETCH_PRIORITY G_PRIORITY_DEFAULT_IDLE

struct _KcRecordObject
{
  GObject   parent_instance;

  KcRecord *record;
};

G_DEFINE_FINAL_TYPE (KcRecordObject, kc_record_object, G_TYPE_OBJECT)

static void
kc_record_object_finalize (GObject *object)
{
  KcRecordObject *self = KC_RECORD_OBJECT (object);

  kc_record_free (self->record);

  G_OBJECT_CLASS (kc_record_object_parent_class)->finalize (object);
}

static void
kc_record_object_class_init (KcRecordObjectClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kc_record_object_finalize;
}

static void
kc_record_object_init (KcRecordObject *self)
{
}

/* Takes ownership of record */
static KcRecordObject *
record_object_new (KcRecord *record)
{
  KcRecordObject *self = g_object_new (KC_TYPE_RECORD_OBJECT, NULL);

  self->record = record;
  return self;
}

const KcRecord *
kc_record_object_get_record (KcRecordObject *self)
{
  g_return_val_if_fail (KC_IS_RECORD_OBJECT (self), NULL);

  return self->record;
}

typedef struct
{
  guint      start; /* position of items[0] */
  guint      end;   /* one past the last position the page covers */
  GPtrArray *items; /* KcRecordObject, newest first */
  guint64    used;  /* clock of the last read, for eviction */
} Page;

static void
page_free (Page *page)
{
  g_ptr_array_unref (page->items);
  g_free (page);
}

static const KcRecord *
page_record (Page  *page,
             guint  index)
{
  return kc_record_object_get_record (g_ptr_array_index (page->items, index));
}

/* Takes the records: the page [first, end) of the list */
static Page *
page_new (guint      first,
          guint      end,
          GPtrArray *records)
{
  Page *page = g_new0 (Page, 1);
  g_autofree KcRecord **stolen = NULL;
  gsize n_stolen;

  page->start = first;
  page->end = end;
  page->items = g_ptr_array_new_full (records->len, g_object_unref);
  stolen = (KcRecord **) g_ptr_array_steal (records, &n_stolen);
  for (gsize i = 0; i < n_stolen; i++)
    g_ptr_array_add (page->items, record_object_new (stolen[i]));
  return page;
}

struct _KcHistoryModel
{
  GObject          parent_instance;

  KcStore         *store;
  gulong           changed_handler;
  KcHistoryFilter  filter;

  guint            n_items;
  GPtrArray       *pages;  /* Page, at most MAX_PAGES */
  guint            origin; /* pages start at origin + k * PAGE_SIZE */
  guint64          clock;

  /* The whole store as the last refresh saw it, to tell later whether a
   * change only added rows above all of it */
  guint64          n_added;
  guint64          n_edited;
  gint64           top_time;
  char            *top_id; /* the newest row, NULL when there was none */

  gboolean         stale;      /* the store changed since the last refresh */
  gboolean         stale_read; /* a page was counted from the top since then */
  gboolean         failed;     /* a read failed and was logged */
  guint            refresh_source;
  gint64           last_refresh; /* monotonic µs */

  /* The rows asked for since the last read-ahead: the pages just beyond
   * them are read next, from an idle. */
  gboolean         asked;
  guint            asked_low;
  guint            asked_high;
  guint            prefetch_source;
};

static void kc_history_model_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (KcHistoryModel, kc_history_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      kc_history_model_list_model_init))

static void schedule_refresh (KcHistoryModel *self);

static void
copy_filter (KcHistoryFilter       *dest,
             const KcHistoryFilter *src)
{
  g_free (dest->number);
  if (src == NULL)
    {
      *dest = (KcHistoryFilter) { NULL, -1, -1, -1, -1 };
      return;
    }
  *dest = *src;
  dest->number = src->number && *src->number ? g_strdup (src->number) : NULL;
}

/* The view asks for every row it shows; one line per outage is enough. */
static void
report_failure (KcHistoryModel *self,
                const GError   *error)
{
  if (!self->failed)
    g_warning ("Call history unavailable: %s", error->message);
  self->failed = TRUE;
}

static void
drop_pages (KcHistoryModel *self)
{
  g_ptr_array_set_size (self->pages, 0);
  self->origin = 0;
  self->asked = FALSE;
  g_clear_handle_id (&self->prefetch_source, g_source_remove);
}

static gboolean
take_snapshot (KcHistoryModel  *self,
               GError         **error)
{
  g_autoptr (GPtrArray) top = NULL;

  top = kc_store_query_history (self->store, NULL, 0, NULL, FALSE, 0, 1, error);
  if (top == NULL)
    return FALSE;

  g_clear_pointer (&self->top_id, g_free);
  if (top->len > 0)
    {
      const KcRecord *newest = g_ptr_array_index (top, 0);

      self->top_time = newest->start_time;
      self->top_id = g_strdup (newest->id);
    }
  kc_store_get_change_counts (self->store, &self->n_added, &self->n_edited);
  self->stale = self->stale_read = FALSE;
  return TRUE;
}

/* Caches all of them as pages from the top: no more than fit */
static void
cache_all (KcHistoryModel *self,
           GPtrArray      *records)
{
  for (guint first = 0; first < records->len; first += PAGE_SIZE)
    {
      g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) kc_record_free);
      guint end = MIN (first + PAGE_SIZE, records->len);

      for (guint i = first; i < end; i++)
        g_ptr_array_add (rows, g_steal_pointer (&records->pdata[i]));
      g_ptr_array_add (self->pages, page_new (first, end, rows));
    }
}

/* Forgets every page and counts again; on failure the model is empty. */
static void
reload (KcHistoryModel *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) all = NULL;
  gint64 count;

  drop_pages (self);
  /* A number search reads the whole history to count; when it finds few
   * rows it keeps them all, instead of reading the history again for each
   * page. */
  if (self->filter.number != NULL &&
      !kc_store_query_history_all (self->store, &self->filter, MAX_PAGES * PAGE_SIZE, &all,
                                   &error))
    goto fail;
  if (all != NULL)
    count = all->len;
  else if (!kc_store_count_history (self->store, &self->filter, 0, NULL, &count, &error))
    goto fail;
  if (!take_snapshot (self, &error))
    goto fail;

  self->failed = FALSE;
  self->n_items = (guint) MIN (count, G_MAXUINT);
  if (all != NULL)
    cache_all (self, all);
  return;

fail:
  report_failure (self, error);
  self->n_items = 0;
}

/* When the store only gained rows newer than all it had, those rows are the
 * top of the list: the view gets an insertion there and keeps every row it
 * shows. Rows above the old newest one can only be new, so counting them (a
 * short range of the index) tells whether every added row went there, and
 * how many of them the filter shows. FALSE when anything else happened, or
 * when that cannot be told. */
static gboolean
apply_prepend (KcHistoryModel *self)
{
  guint64 n_added, n_edited;
  gint64 n_above, n_new;

  if (self->failed || self->stale_read)
    return FALSE;
  kc_store_get_change_counts (self->store, &n_added, &n_edited);
  if (n_edited != self->n_edited)
    return FALSE;
  if (!kc_store_count_history (self->store, NULL, self->top_time, self->top_id, &n_above, NULL) ||
      (guint64) n_above != n_added - self->n_added)
    return FALSE;
  if (!kc_store_count_history (self->store, &self->filter, self->top_time, self->top_id, &n_new,
                               NULL) ||
      n_new > G_MAXUINT - self->n_items)
    return FALSE;
  if (!take_snapshot (self, NULL))
    return FALSE;

  if (n_new == 0)
    return TRUE;
  for (guint i = 0; i < self->pages->len; i++)
    {
      Page *page = g_ptr_array_index (self->pages, i);

      page->start += n_new;
      page->end += n_new;
    }
  self->origin = (self->origin + n_new) % PAGE_SIZE;
  self->asked_low += n_new;
  self->asked_high += n_new;
  self->n_items += n_new;
  g_list_model_items_changed (G_LIST_MODEL (self), 0, 0, n_new);
  return TRUE;
}

static void
refresh (KcHistoryModel *self)
{
  guint old_n = self->n_items;

  g_clear_handle_id (&self->refresh_source, g_source_remove);
  self->last_refresh = g_get_monotonic_time ();

  if (self->stale && apply_prepend (self))
    return;

  /* A page could not be read: show nothing rather than holes, until the
   * store changes. */
  if (self->failed && !self->stale)
    {
      drop_pages (self);
      self->n_items = 0;
    }
  else
    {
      reload (self);
    }
  if (old_n > 0 || self->n_items > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n, self->n_items);
}

static gboolean
refresh_cb (gpointer data)
{
  KcHistoryModel *self = data;

  self->refresh_source = 0;
  refresh (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_refresh (KcHistoryModel *self)
{
  gint64 wait;

  if (self->refresh_source != 0)
    return;

  wait = self->last_refresh + REFRESH_INTERVAL_US - g_get_monotonic_time ();
  if (wait <= 0)
    self->refresh_source = g_idle_add_full (REFRESH_PRIORITY, refresh_cb, self, NULL);
  else
    self->refresh_source = g_timeout_add_full (REFRESH_PRIORITY, (guint) ((wait + 999) / 1000),
                                               refresh_cb, self, NULL);
  g_source_set_name_by_id (self->refresh_source, "[kerio-cti] history refresh");
}

static void
on_store_changed (KcHistoryModel *self)
{
  self->stale = TRUE;
  schedule_refresh (self);
}

static Page *
find_page (KcHistoryModel *self,
           guint           position)
{
  for (guint i = 0; i < self->pages->len; i++)
    {
      Page *page = g_ptr_array_index (self->pages, i);

      if (position >= page->start && position < page->end)
        return page;
    }
  return NULL;
}

/* Pages lie on a grid from `origin`, which moves with rows inserted at the
 * top so that cached pages keep their rows; the rows above the grid's first
 * line make a short first page. */
static void
page_bounds (KcHistoryModel *self,
             guint           position,
             guint          *first,
             guint          *end)
{
  if (position < self->origin)
    {
      *first = 0;
      *end = self->origin;
    }
  else
    {
      *first = position - (position - self->origin) % PAGE_SIZE;
      *end = MIN (*first + PAGE_SIZE, self->n_items);
    }
}

static void
evict_least_used (KcHistoryModel *self)
{
  guint oldest = 0;

  for (guint i = 1; i < self->pages->len; i++)
    {
      Page *page = g_ptr_array_index (self->pages, i);

      if (page->used < ((Page *) g_ptr_array_index (self->pages, oldest))->used)
        oldest = i;
    }
  g_ptr_array_remove_index_fast (self->pages, oldest);
}

/* Reads the page holding POSITION starting from the nearest known row:
 * scrolling reaches a page next to a cached one and reads on from its edge
 * row (keyset paging, no rows skipped); a jump skips the fewest rows it can,
 * counting from the top, the bottom or a cached page. */
static Page *
load_page (KcHistoryModel *self,
           guint           position)
{
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (GError) error = NULL;
  const KcRecord *key = NULL;
  gboolean newer = FALSE;
  guint first, end;
  gint64 offset;
  Page *page;

  page_bounds (self, position, &first, &end);
  offset = first;
  if (self->n_items - end < offset)
    {
      offset = self->n_items - end;
      newer = TRUE;
    }
  for (guint i = 0; i < self->pages->len; i++)
    {
      Page *cached = g_ptr_array_index (self->pages, i);
      guint after = cached->start + cached->items->len;

      if (cached->items->len == 0)
        continue;
      if (after <= first && first - after <= offset)
        {
          offset = first - after;
          key = page_record (cached, cached->items->len - 1);
          newer = FALSE;
        }
      else if (cached->start >= end && cached->start - end <= offset)
        {
          offset = cached->start - end;
          key = page_record (cached, 0);
          newer = TRUE;
        }
    }
  /* Rows added at the top since the last refresh shift a page counted from
   * the top; a page read from a cached row or from the bottom does not move. */
  if (self->stale && key == NULL && !newer)
    self->stale_read = TRUE;

  records = kc_store_query_history (self->store, &self->filter, key ? key->start_time : 0,
                                    key ? key->id : NULL, newer, offset, end - first, &error);
  if (records == NULL)
    {
      report_failure (self, error);
      schedule_refresh (self);
      return NULL;
    }

  if (self->pages->len == MAX_PAGES)
    evict_least_used (self);
  page = page_new (first, end, records);
  g_ptr_array_add (self->pages, page);
  return page;
}

/* The first position of the page beyond the rows asked for, in the
 * direction NEWER, when it is not cached; else FALSE */
static gboolean
page_to_prefetch (KcHistoryModel *self,
                  gboolean        newer,
                  guint          *position)
{
  guint first, end;

  if (newer)
    {
      page_bounds (self, self->asked_low, &first, &end);
      if (first == 0)
        return FALSE;
      *position = first - 1;
    }
  else
    {
      page_bounds (self, self->asked_high, &first, &end);
      if (end >= self->n_items)
        return FALSE;
      *position = end;
    }
  return find_page (self, *position) == NULL;
}

/* One page per call, so that no idle takes long; older rows first, where a
 * list is mostly scrolled to. */
static gboolean
prefetch_cb (gpointer data)
{
  KcHistoryModel *self = data;
  guint position;
  gboolean more;

  /* A change waits for its refresh, which may drop every page. */
  if (self->stale || self->failed || !self->asked)
    {
      self->prefetch_source = 0;
      return G_SOURCE_REMOVE;
    }
  if (page_to_prefetch (self, FALSE, &position) || page_to_prefetch (self, TRUE, &position))
    {
      Page *page = load_page (self, position);

      if (page != NULL)
        page->used = ++self->clock;
    }
  more = !self->failed &&
         (page_to_prefetch (self, FALSE, &position) || page_to_prefetch (self, TRUE, &position));
  if (!more)
    {
      self->asked = FALSE;
      self->prefetch_source = 0;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

/* Notes a row the view asked for; the pages around it are read ahead. */
static void
note_asked (KcHistoryModel *self,
            guint           position)
{
  if (!self->asked)
    {
      self->asked = TRUE;
      self->asked_low = self->asked_high = position;
    }
  else
    {
      self->asked_low = MIN (self->asked_low, position);
      self->asked_high = MAX (self->asked_high, position);
    }
  if (self->prefetch_source == 0 && !self->stale && !self->failed)
    {
      self->prefetch_source = g_idle_add_full (PREFETCH_PRIORITY, prefetch_cb, self, NULL);
      g_source_set_name_by_id (self->prefetch_source, "[kerio-cti] history read-ahead");
    }
}

static GType
kc_history_model_get_item_type (GListModel *model)
{
  return KC_TYPE_RECORD_OBJECT;
}

static guint
kc_history_model_get_n_items (GListModel *model)
{
  return KC_HISTORY_MODEL (model)->n_items;
}

static gpointer
kc_history_model_get_item (GListModel *model,
                           guint       position)
{
  KcHistoryModel *self = KC_HISTORY_MODEL (model);
  Page *page;

  if (position >= self->n_items)
    return NULL;

  page = find_page (self, position);
  if (page == NULL)
    page = load_page (self, position);
  if (page == NULL)
    return NULL;
  page->used = ++self->clock;
  note_asked (self, position);

  /* Short only when the store lost rows since they were counted; the
   * refresh that follows its change sets the list right. */
  if (position - page->start >= page->items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (page->items, position - page->start));
}

static void
kc_history_model_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = kc_history_model_get_item_type;
  iface->get_n_items = kc_history_model_get_n_items;
  iface->get_item = kc_history_model_get_item;
}

static void
kc_history_model_dispose (GObject *object)
{
  KcHistoryModel *self = KC_HISTORY_MODEL (object);

  g_clear_handle_id (&self->refresh_source, g_source_remove);
  g_clear_handle_id (&self->prefetch_source, g_source_remove);
  g_clear_signal_handler (&self->changed_handler, self->store);
  g_clear_object (&self->store);
  drop_pages (self);
  self->n_items = 0;

  G_OBJECT_CLASS (kc_history_model_parent_class)->dispose (object);
}

static void
kc_history_model_finalize (GObject *object)
{
  KcHistoryModel *self = KC_HISTORY_MODEL (object);

  g_ptr_array_unref (self->pages);
  g_free (self->filter.number);
  g_free (self->top_id);

  G_OBJECT_CLASS (kc_history_model_parent_class)->finalize (object);
}

static void
kc_history_model_class_init (KcHistoryModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kc_history_model_dispose;
  object_class->finalize = kc_history_model_finalize;
}

static void
kc_history_model_init (KcHistoryModel *self)
{
  self->pages = g_ptr_array_new_with_free_func ((GDestroyNotify) page_free);
  copy_filter (&self->filter, NULL);
}

KcHistoryModel *
kc_history_model_new (KcStore *store)
{
  return kc_history_model_new_filtered (store, NULL);
}

KcHistoryModel *
kc_history_model_new_filtered (KcStore               *store,
                               const KcHistoryFilter *filter)
{
  KcHistoryModel *self;

  g_return_val_if_fail (KC_IS_STORE (store), NULL);
  g_return_val_if_fail (filter == NULL || (filter->direction <= (int) KC_DIRECTION_OUTGOING &&
                                           filter->status <= (int) KC_CALL_STATUS_FAILED),
                        NULL);

  self = g_object_new (KC_TYPE_HISTORY_MODEL, NULL);
  self->store = g_object_ref (store);
  self->changed_handler = g_signal_connect_swapped (store, "changed",
                                                    G_CALLBACK (on_store_changed), self);
  copy_filter (&self->filter, filter);
  reload (self);
  return self;
}

void
kc_history_model_set_filter (KcHistoryModel        *self,
                             const KcHistoryFilter *filter)
{
  guint old_n;

  g_return_if_fail (KC_IS_HISTORY_MODEL (self));
  g_return_if_fail (filter == NULL || (filter->direction <= (int) KC_DIRECTION_OUTGOING &&
                                       filter->status <= (int) KC_CALL_STATUS_FAILED));

  old_n = self->n_items;
  copy_filter (&self->filter, filter);
  g_clear_handle_id (&self->refresh_source, g_source_remove);
  reload (self);
  if (old_n > 0 || self->n_items > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n, self->n_items);
}

gint64
kc_history_model_find (KcHistoryModel *self,
                       const char     *call_id)
{
  g_autoptr (GError) error = NULL;
  gint64 position;

  g_return_val_if_fail (KC_IS_HISTORY_MODEL (self), -1);
  g_return_val_if_fail (call_id != NULL, -1);

  if (self->refresh_source != 0)
    refresh (self);
  if (self->n_items == 0)
    return -1;

  for (guint i = 0; i < self->pages->len; i++)
    {
      Page *page = g_ptr_array_index (self->pages, i);

      for (guint j = 0; j < page->items->len; j++)
        if (g_strcmp0 (page_record (page, j)->call_id, call_id) == 0)
          return page->start + j;
    }

  if (!kc_store_find_history (self->store, &self->filter, call_id, &position, &error))
    {
      report_failure (self, error);
      schedule_refresh (self);
      return -1;
    }
  return position < self->n_items ? position : -1;
}
