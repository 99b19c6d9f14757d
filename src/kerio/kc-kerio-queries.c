/* kc-kerio-queries.c: Status.getCalls, the paged CallHistory.get and Recordings.get, the directory
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-kerio"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "kc-kerio-client-private.h"
#include "kc-kerio-parse.h"

#define PAGE_SIZE 500
/* A server whose totalItems never comes true must not keep us paging
 * forever; 10000 pages are millions of rows even from a server that caps
 * its pages small. A server that ignores "start" is caught sooner, by its
 * repeated pages. */
#define MAX_PAGES 10000
#define PAGE_RETRY_DELAY_MS 500

/* ------------------------------------------------------------------------ */
/* Active calls */

JsonNode *
kc_kerio_active_calls_params (void)
{
  static const char *const fields[] = {
    "from", "to", "status", "answered_duration", "call_duration"
  };
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "query");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "fields");
  json_builder_begin_array (builder);
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    json_builder_add_string_value (builder, fields[i]);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "limit");
  json_builder_add_int_value (builder, -1);
  json_builder_set_member_name (builder, "orderBy");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "columnName");
  json_builder_add_string_value (builder, "status");
  json_builder_set_member_name (builder, "direction");
  json_builder_add_string_value (builder, "Asc");
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static gpointer
parse_call_rows (const char  *body,
                 gsize        length,
                 GError     **error)
{
  g_autoptr (KcKerioPageAnswer) answer = kc_kerio_parse_call_page (body, length, error);

  return answer != NULL ? g_steal_pointer (&answer->rows) : NULL;
}

/* A poll every second or two: its rows are read straight from the body */
static const KcKerioRpcReader call_rows_reader = {
  parse_call_rows, (GDestroyNotify) g_ptr_array_unref,
};

static void
on_calls_answered (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;
  GPtrArray *calls;

  calls = g_task_propagate_pointer (G_TASK (result), &error);
  if (calls == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, calls, (GDestroyNotify) g_ptr_array_unref);
}

void
kc_kerio_client_get_calls_async (KcKerioClient       *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr (JsonNode) params = NULL;
  GTask *task;

  g_return_if_fail (KC_IS_KERIO_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kc_kerio_client_get_calls_async);
  params = kc_kerio_active_calls_params ();
  kc_kerio_client_call_with_reader_async (self, "Status.getCalls", params, &call_rows_reader,
                                          cancellable, on_calls_answered, task);
}

GPtrArray *
kc_kerio_client_get_calls_finish (KcKerioClient  *self,
                                  GAsyncResult   *result,
                                  GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------------ */
/* Paged queries: CallHistory.get and Recordings.get */

static gpointer
parse_cdr_page (const char  *body,
                gsize        length,
                GError     **error)
{
  return kc_kerio_parse_cdr_page (body, length, error);
}

static gpointer
parse_recording_page (const char  *body,
                      gsize        length,
                      GError     **error)
{
  return kc_kerio_parse_recording_page (body, length, error);
}

static const KcKerioRpcReader cdr_page_reader = {
  parse_cdr_page, (GDestroyNotify) kc_kerio_page_answer_free,
};

static const KcKerioRpcReader recording_page_reader = {
  parse_recording_page, (GDestroyNotify) kc_kerio_page_answer_free,
};

typedef struct
{
  const char             *method;
  const char             *time_field;
  const KcKerioRpcReader *reader;
  gint64                  since;
  gint64           start;
  guint            n_pages;
  guint            n_retries; /* of the current page */
  GPtrArray       *rows;
  GBytes          *previous_first_row;
  /* One page ahead: the next page is asked for before this one is handed
   * over (delivering); one that comes before that is done waits. */
  KcKerioPageAnswer *delivering;
  KcKerioPageAnswer *waiting;
  GError          *waiting_error;
  gboolean         last;        /* of the page delivering */
  gint64           total_items; /* of the page delivering */
  gboolean         returned;
  /* When set, pages go there as they arrive instead of into rows */
  KcKerioPageFunc page_func;
  gpointer       page_data;
  guint64        n_rows;
} PagedQuery;

static PagedQuery *
paged_query_new (const char             *method,
                 const char             *time_field,
                 const KcKerioRpcReader *reader,
                 gint64                  since,
                 GDestroyNotify          free_row)
{
  PagedQuery *query = g_new0 (PagedQuery, 1);

  query->method = method;
  query->time_field = time_field;
  query->reader = reader;
  query->since = since;
  query->rows = g_ptr_array_new_with_free_func (free_row);
  return query;
}

static PagedQuery *
cdr_query_new (gint64 since)
{
  return paged_query_new ("CallHistory.get", "TIMESTAMP", &cdr_page_reader, since,
                          (GDestroyNotify) kc_cdr_free);
}

static void
paged_query_free (PagedQuery *query)
{
  g_clear_pointer (&query->rows, g_ptr_array_unref);
  g_clear_pointer (&query->previous_first_row, g_bytes_unref);
  g_clear_pointer (&query->delivering, kc_kerio_page_answer_free);
  g_clear_pointer (&query->waiting, kc_kerio_page_answer_free);
  g_clear_error (&query->waiting_error);
  g_free (query);
}

static JsonNode *
build_page_params (PagedQuery *query)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "query");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "orderBy");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "columnName");
  json_builder_add_string_value (builder, query->time_field);
  json_builder_set_member_name (builder, "direction");
  json_builder_add_string_value (builder, "Desc");
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "start");
  json_builder_add_int_value (builder, query->start);
  json_builder_set_member_name (builder, "limit");
  json_builder_add_int_value (builder, PAGE_SIZE);
  if (query->since >= 0)
    {
      g_autofree char *since = g_strdup_printf ("%" G_GINT64_FORMAT, query->since);

      json_builder_set_member_name (builder, "conditions");
      json_builder_begin_array (builder);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "fieldName");
      json_builder_add_string_value (builder, query->time_field);
      json_builder_set_member_name (builder, "comparator");
      json_builder_add_string_value (builder, "GreaterEq");
      json_builder_set_member_name (builder, "value");
      json_builder_add_string_value (builder, since);
      json_builder_end_object (builder);
      json_builder_end_array (builder);
      json_builder_set_member_name (builder, "combining");
      json_builder_add_string_value (builder, "And");
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void request_page (GTask *task);

/* What a second try may cure; a foreign server, a refused login or a body
 * over the limit it will not. */
static gboolean
page_error_is_transient (const GError *error)
{
  return g_error_matches (error, KC_KERIO_ERROR, KC_KERIO_ERROR_TRANSPORT)
         || g_error_matches (error, KC_KERIO_ERROR, KC_KERIO_ERROR_HTTP)
         || g_error_matches (error, KC_KERIO_ERROR, KC_KERIO_ERROR_MALFORMED);
}

static gboolean
retry_page (gpointer user_data)
{
  GTask *task = user_data;
  PagedQuery *query = g_task_get_task_data (task);

  if (query->returned)
    g_object_unref (task);
  else if (g_task_return_error_if_cancelled (task))
    {
      query->returned = TRUE;
      g_object_unref (task);
    }
  else
    request_page (task);
  return G_SOURCE_REMOVE;
}

static void
paged_query_return_error (GTask  *task,
                          GError *error)
{
  PagedQuery *query = g_task_get_task_data (task);

  query->returned = TRUE;
  g_task_return_error (task, error);
}

static void deliver_page (GTask *task);

static gboolean
on_deliver_idle (gpointer user_data)
{
  deliver_page (user_data);
  return G_SOURCE_REMOVE;
}

/* Hands a page to the caller (or keeps its rows) once libsoup has sent the
 * next request: the idle's low priority lets the request leave first, so
 * the PBX builds the next page while this one is stored. */
static void
schedule_delivery (GTask *task)
{
  g_idle_add_full (G_PRIORITY_LOW, on_deliver_idle, g_object_ref (task), g_object_unref);
}

/* A page read and checked, in the order of the pages */
static void
accept_page (GTask             *task,
             KcKerioPageAnswer *page)
{
  PagedQuery *query = g_task_get_task_data (task);

  query->n_pages++;
  /* The rows the reader dropped still count for the next page's start. */
  query->start += page->n_raw;
  /* Without totalItems, only an empty page tells the end. */
  query->last = page->n_raw == 0 || (page->total_known && query->start >= page->total_items);
  query->total_items = page->total_items;
  if (!query->last && query->n_pages < MAX_PAGES)
    request_page (g_object_ref (task));
}

static void
deliver_page (GTask *task)
{
  PagedQuery *query = g_task_get_task_data (task);
  g_autoptr (KcKerioPageAnswer) page = g_steal_pointer (&query->delivering);
  GError *error = NULL;

  if (query->returned)
    return;

  query->n_rows += page->rows->len;
  if (query->page_func != NULL)
    {
      if (!query->page_func (page->rows, query->page_data, &error))
        {
          paged_query_return_error (task, error);
          return;
        }
    }
  else
    {
      g_ptr_array_extend_and_steal (query->rows, g_steal_pointer (&page->rows));
    }

  /* What came while this page was stored: the next page, or the reason
   * there is none */
  if (query->waiting_error != NULL)
    {
      paged_query_return_error (task, g_steal_pointer (&query->waiting_error));
      return;
    }
  if (query->last)
    {
      query->returned = TRUE;
      g_task_return_pointer (task, g_steal_pointer (&query->rows),
                             (GDestroyNotify) g_ptr_array_unref);
      return;
    }
  if (query->n_pages >= MAX_PAGES)
    {
      paged_query_return_error (
        task, g_error_new (KC_KERIO_ERROR, KC_KERIO_ERROR_MALFORMED,
                           _("The PBX keeps sending pages past the %lld rows it announced"),
                           (long long) query->total_items));
      return;
    }
  if (query->waiting != NULL)
    {
      query->delivering = g_steal_pointer (&query->waiting);
      accept_page (task, query->delivering);
      schedule_delivery (task);
    }
}

static void
on_page_answered (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  PagedQuery *query = g_task_get_task_data (task);
  g_autoptr (KcKerioPageAnswer) page = NULL;
  GError *error = NULL;

  page = g_task_propagate_pointer (G_TASK (result), &error);
  if (query->returned)
    {
      /* The query ended (the caller failed to store a page) while this one
       * was on its way */
      g_clear_error (&error);
      return;
    }
  if (page == NULL)
    {
      if (query->n_retries < KC_KERIO_PAGE_RETRIES && page_error_is_transient (error))
        {
          guint delay = PAGE_RETRY_DELAY_MS << query->n_retries;

          g_debug ("%s from row %" G_GINT64_FORMAT " failed, asking again in %u ms: %s",
                   query->method, query->start, delay, error->message);
          query->n_retries++;
          g_error_free (error);
          g_timeout_add (delay, retry_page, g_steal_pointer (&task));
          return;
        }
      /* The page before is stored first, as if it had not been asked
       * for yet */
      if (query->delivering != NULL)
        query->waiting_error = error;
      else
        paged_query_return_error (task, error);
      return;
    }
  query->n_retries = 0;

  if (page->first_row != NULL && query->previous_first_row != NULL
      && g_bytes_equal (page->first_row, query->previous_first_row))
    {
      error = g_error_new_literal (KC_KERIO_ERROR, KC_KERIO_ERROR_MALFORMED,
                                   _("The PBX sends the same page of results again and again"));
      if (query->delivering != NULL)
        query->waiting_error = error;
      else
        paged_query_return_error (task, error);
      return;
    }
  g_clear_pointer (&query->previous_first_row, g_bytes_unref);
  if (page->first_row != NULL)
    query->previous_first_row = g_bytes_ref (page->first_row);

  /* At most one page waits while another is stored: the next request
   * leaves when the waiting one is handed over. */
  if (query->delivering != NULL)
    {
      query->waiting = g_steal_pointer (&page);
      return;
    }
  query->delivering = g_steal_pointer (&page);
  accept_page (task, query->delivering);
  schedule_delivery (task);
}

static void
request_page (GTask *task)
{
  KcKerioClient *self = g_task_get_source_object (task);
  PagedQuery *query = g_task_get_task_data (task);
  g_autoptr (JsonNode) params = build_page_params (query);

  kc_kerio_client_call_with_reader_async (self, query->method, params, query->reader,
                                          g_task_get_cancellable (task), on_page_answered, task);
}

static void
paged_query_async (KcKerioClient       *self,
                   PagedQuery          *query,
                   gpointer             source_tag,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, query, (GDestroyNotify) paged_query_free);
  request_page (task);
}

void
kc_kerio_client_get_call_history_async (KcKerioClient       *self,
                                        gint64               since,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  PagedQuery *query;

  g_return_if_fail (KC_IS_KERIO_CLIENT (self));

  query = cdr_query_new (since);
  paged_query_async (self, query, kc_kerio_client_get_call_history_async, cancellable, callback,
                     user_data);
}

GPtrArray *
kc_kerio_client_get_call_history_finish (KcKerioClient  *self,
                                         GAsyncResult   *result,
                                         GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
kc_kerio_client_read_call_history_async (KcKerioClient       *self,
                                         gint64               since,
                                         KcKerioPageFunc      page_func,
                                         gpointer             page_data,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  PagedQuery *query;

  g_return_if_fail (KC_IS_KERIO_CLIENT (self));
  g_return_if_fail (page_func != NULL);

  query = cdr_query_new (since);
  query->page_func = page_func;
  query->page_data = page_data;
  paged_query_async (self, query, kc_kerio_client_read_call_history_async, cancellable, callback,
                     user_data);
}

gboolean
kc_kerio_client_read_call_history_finish (KcKerioClient  *self,
                                          GAsyncResult   *result,
                                          guint64        *n_rows,
                                          GError        **error)
{
  g_autoptr (GPtrArray) rows = NULL;
  PagedQuery *query;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  rows = g_task_propagate_pointer (G_TASK (result), error);
  if (rows == NULL)
    return FALSE;
  query = g_task_get_task_data (G_TASK (result));
  if (n_rows)
    *n_rows = query->n_rows;
  return TRUE;
}

void
kc_kerio_client_get_recordings_async (KcKerioClient       *self,
                                      gint64               since,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  PagedQuery *query;

  g_return_if_fail (KC_IS_KERIO_CLIENT (self));

  query = paged_query_new ("Recordings.get", "STARTED", &recording_page_reader, since,
                           (GDestroyNotify) kc_recording_free);
  paged_query_async (self, query, kc_kerio_client_get_recordings_async, cancellable, callback,
                     user_data);
}

GPtrArray *
kc_kerio_client_get_recordings_finish (KcKerioClient  *self,
                                       GAsyncResult   *result,
                                       GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------------ */
/* One span of the history */

typedef struct
{
  gint64 since;
  gint64 until;
} TimeSpan;

static JsonNode *
build_span_params (const TimeSpan *span)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autofree char *since = g_strdup_printf ("%" G_GINT64_FORMAT, span->since);
  g_autofree char *until = g_strdup_printf ("%" G_GINT64_FORMAT, span->until);
  const struct
  {
    const char *comparator;
    const char *value;
  } conditions[] = { { "GreaterEq", since }, { "LessEq", until } };

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "query");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "conditions");
  json_builder_begin_array (builder);
  for (guint i = 0; i < G_N_ELEMENTS (conditions); i++)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "fieldName");
      json_builder_add_string_value (builder, "TIMESTAMP");
      json_builder_set_member_name (builder, "comparator");
      json_builder_add_string_value (builder, conditions[i].comparator);
      json_builder_set_member_name (builder, "value");
      json_builder_add_string_value (builder, conditions[i].value);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "combining");
  json_builder_add_string_value (builder, "And");
  json_builder_set_member_name (builder, "orderBy");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "columnName");
  json_builder_add_string_value (builder, "TIMESTAMP");
  json_builder_set_member_name (builder, "direction");
  json_builder_add_string_value (builder, "Asc");
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "start");
  json_builder_add_int_value (builder, 0);
  json_builder_set_member_name (builder, "limit");
  json_builder_add_int_value (builder, KC_KERIO_FIND_LIMIT);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
on_span_answered (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  const TimeSpan *span = g_task_get_task_data (task);
  g_autoptr (KcKerioPageAnswer) page = NULL;
  GError *error = NULL;

  page = g_task_propagate_pointer (G_TASK (result), &error);
  if (page == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  /* A PBX that ignores the conditions would hand over other calls' records
   * for this one's; a record without a time cannot be told to belong. */
  for (guint i = page->rows->len; i > 0; i--)
    {
      const KcCdr *cdr = g_ptr_array_index (page->rows, i - 1);

      if (cdr->timestamp < span->since || cdr->timestamp > span->until)
        g_ptr_array_remove_index (page->rows, i - 1);
    }
  g_task_return_pointer (task, g_steal_pointer (&page->rows), (GDestroyNotify) g_ptr_array_unref);
}

void
kc_kerio_client_find_call_history_async (KcKerioClient       *self,
                                         gint64               since,
                                         gint64               until,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autoptr (JsonNode) params = NULL;
  TimeSpan *span;
  GTask *task;

  g_return_if_fail (KC_IS_KERIO_CLIENT (self));
  g_return_if_fail (since >= 0 && since <= until);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kc_kerio_client_find_call_history_async);
  span = g_new (TimeSpan, 1);
  span->since = since;
  span->until = until;
  g_task_set_task_data (task, span, g_free);
  params = build_span_params (span);
  kc_kerio_client_call_with_reader_async (self, "CallHistory.get", params, &cdr_page_reader,
                                          cancellable, on_span_answered, task);
}

GPtrArray *
kc_kerio_client_find_call_history_finish (KcKerioClient  *self,
                                          GAsyncResult   *result,
                                          GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------------ */
/* The PBX's directory of its own numbers */

static JsonNode *
build_directory_params (void)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "query");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "orderBy");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "columnName");
  json_builder_add_string_value (builder, "TEL_NUM");
  json_builder_set_member_name (builder, "direction");
  json_builder_add_string_value (builder, "Asc");
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "start");
  json_builder_add_int_value (builder, 0);
  json_builder_set_member_name (builder, "limit");
  json_builder_add_int_value (builder, -1);
  json_builder_end_object (builder);
  /* Queues, ring groups and the like have names worth showing too */
  json_builder_set_member_name (builder, "onlyExtensions");
  json_builder_add_boolean_value (builder, FALSE);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
on_directory_answered (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (JsonNode) node = NULL;
  GError *error = NULL;
  GPtrArray *entries;

  node = kc_kerio_client_call_finish (KC_KERIO_CLIENT (source), result, &error);
  entries = node ? kc_kerio_parse_directory (node, &error) : NULL;
  if (entries == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, entries, (GDestroyNotify) g_ptr_array_unref);
}

void
kc_kerio_client_get_directory_async (KcKerioClient       *self,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr (JsonNode) params = NULL;
  GTask *task;

  g_return_if_fail (KC_IS_KERIO_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kc_kerio_client_get_directory_async);
  params = build_directory_params ();
  kc_kerio_client_call_async (self, "Server.getInternalDirectoryList", params, cancellable,
                              on_directory_answered, task);
}

GPtrArray *
kc_kerio_client_get_directory_finish (KcKerioClient  *self,
                                      GAsyncResult   *result,
                                      GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
