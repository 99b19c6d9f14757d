/* kc-sim-server-history.c: the call history and recordings: tables, queries, pages
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-sim-server"

#include <string.h>

#include "kc-sim-server-private.h"
#include "kc-sim-wav.h"

typedef enum
{
  CMP_EQ,
  CMP_NOT_EQ,
  CMP_LESS,
  CMP_LESS_EQ,
  CMP_GREATER,
  CMP_GREATER_EQ,
  CMP_LIKE,
} SimComparator;

typedef struct
{
  SimComparator  comparator;
  gint64         time;
  char          *text; /* free text of a SEARCH condition, lower case */
} SimCondition;

typedef struct
{
  gint64    start;
  gint64    limit; /* negative: all */
  gboolean  ascending;
  gboolean  match_any;
  GArray   *conditions;
} SimQuery;

/* The rows a query matched, in time order: a run of a table's `order`, or a
 * list when the conditions were not a single time range. */
typedef struct
{
  guint   lo;
  guint   hi;
  GArray *matches;
} SimSelection;

typedef gboolean (*SimTextMatch) (KcSimServer   *self,
                                  gconstpointer  row,
                                  const char    *needle);

static gboolean
contains_text (const char *haystack,
               const char *needle)
{
  g_autofree char *lower = g_ascii_strdown (haystack, -1);

  return strstr (lower, needle) != NULL;
}

/* --- Tables and queries */

void
kc_sim_table_init (SimTable *table,
                   guint     row_size)
{
  table->rows = g_array_new (FALSE, FALSE, row_size);
  table->order = g_array_new (FALSE, FALSE, sizeof (guint32));
}

void
kc_sim_table_clear (SimTable *table)
{
  g_clear_pointer (&table->rows, g_array_unref);
  g_clear_pointer (&table->order, g_array_unref);
}

static gint64
sim_table_time (const SimTable *table,
                guint32         row)
{
  gint64 value;

  memcpy (&value, table->rows->data + (gsize) row * g_array_get_element_size (table->rows),
          sizeof value);
  return value;
}

static gconstpointer
sim_table_row (const SimTable *table,
               guint32         row)
{
  return table->rows->data + (gsize) row * g_array_get_element_size (table->rows);
}

static int
compare_rows (gconstpointer a,
              gconstpointer b,
              gpointer      user_data)
{
  const SimTable *table = user_data;
  guint32 row_a = *(const guint32 *) a;
  guint32 row_b = *(const guint32 *) b;
  gint64 time_a = sim_table_time (table, row_a);
  gint64 time_b = sim_table_time (table, row_b);

  if (time_a != time_b)
    return time_a < time_b ? -1 : 1;
  return row_a < row_b ? -1 : row_a > row_b;
}

/* First position in `order` whose time is >= `value` (upper: > `value`) */
static guint
sim_table_bound (const SimTable *table,
                 gint64          value,
                 gboolean        upper)
{
  guint lo = 0, hi = table->order->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      gint64 t = sim_table_time (table, g_array_index (table->order, guint32, mid));

      if (t < value || (upper && t == value))
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

/* Brings `order` up to date with the rows appended since the last query.
 * A few late rows (a long call's CDR, written after later calls' records) are
 * put in place one by one; a big batch is appended and sorted once. */
static void
sim_table_update_order (SimTable *table)
{
  guint32 first_new = table->order->len;
  gboolean few = table->rows->len - first_new <= 64;
  gboolean sorted = TRUE;

  for (guint32 row = first_new; row < table->rows->len; row++)
    {
      gint64 t = sim_table_time (table, row);
      guint n = table->order->len;

      if (n == 0 || t >= sim_table_time (table, g_array_index (table->order, guint32, n - 1)))
        g_array_append_val (table->order, row);
      else if (few)
        g_array_insert_val (table->order, sim_table_bound (table, t, TRUE), row);
      else
        {
          g_array_append_val (table->order, row);
          sorted = FALSE;
        }
    }

  if (!sorted)
    g_array_sort_with_data (table->order, compare_rows, table);
}

static void
sim_condition_clear (gpointer data)
{
  SimCondition *condition = data;

  g_free (condition->text);
}

static void
sim_query_clear (SimQuery *query)
{
  g_clear_pointer (&query->conditions, g_array_unref);
}

static gboolean
parse_comparator (const char    *name,
                  SimComparator *out)
{
  static const char *const names[] = {
    "Eq", "NotEq", "Less", "LessEq", "Greater", "GreaterEq", "Like",
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_strcmp0 (name, names[i]) == 0)
      {
        *out = (SimComparator) i;
        return TRUE;
      }
  return FALSE;
}

static gboolean
parse_condition (JsonNode      *node,
                 const char    *time_field,
                 SimCondition  *condition,
                 GError       **error)
{
  JsonObject *object = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  const char *field = kc_sim_object_get_string (object, "fieldName");
  const char *comparator = kc_sim_object_get_string (object, "comparator");
  JsonNode *value = object ? json_object_get_member (object, "value") : NULL;

  if (!parse_comparator (comparator, &condition->comparator))
    goto unsupported;

  if (g_strcmp0 (field, time_field) == 0 && condition->comparator != CMP_LIKE
      && kc_sim_node_get_int (value, &condition->time))
    return TRUE;

  if (g_strcmp0 (field, "SEARCH") == 0 && condition->comparator == CMP_LIKE
      && kc_sim_object_get_string (object, "value") != NULL)
    {
      condition->text = g_ascii_strdown (kc_sim_object_get_string (object, "value"), -1);
      return TRUE;
    }

unsupported:
  g_set_error (error, RPC_ERROR, RPC_INVALID_PARAMS, "Unsupported condition on '%s' (%s)",
               field ? field : "", comparator ? comparator : "");
  return FALSE;
}

static gboolean
parse_query (JsonObject  *params,
             const char  *time_field,
             SimQuery    *query,
             GError     **error)
{
  JsonNode *node = params ? json_object_get_member (params, "query") : NULL;
  JsonObject *object = node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  JsonNode *order_by = object ? json_object_get_member (object, "orderBy") : NULL;
  JsonNode *conditions = object ? json_object_get_member (object, "conditions") : NULL;
  const char *combining = kc_sim_object_get_string (object, "combining");

  query->start = 0;
  query->limit = -1;
  query->ascending = FALSE;
  query->match_any = combining && g_ascii_strcasecmp (combining, "Or") == 0;
  query->conditions = g_array_new (FALSE, TRUE, sizeof (SimCondition));
  g_array_set_clear_func (query->conditions, sim_condition_clear);

  if (kc_sim_object_get_int (object, "start", &query->start))
    query->start = MAX (query->start, 0);
  kc_sim_object_get_int (object, "limit", &query->limit);

  if (order_by && JSON_NODE_HOLDS_ARRAY (order_by))
    {
      JsonArray *array = json_node_get_array (order_by);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *item = json_array_get_element (array, i);
          JsonObject *column = JSON_NODE_HOLDS_OBJECT (item) ? json_node_get_object (item) : NULL;
          const char *direction = kc_sim_object_get_string (column, "direction");

          if (g_strcmp0 (kc_sim_object_get_string (column, "columnName"), time_field) == 0)
            {
              query->ascending = direction && g_ascii_strcasecmp (direction, "Asc") == 0;
              break;
            }
        }
    }

  if (conditions && JSON_NODE_HOLDS_ARRAY (conditions))
    {
      JsonArray *array = json_node_get_array (conditions);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          SimCondition condition = { 0 };

          if (!parse_condition (json_array_get_element (array, i), time_field, &condition, error))
            return FALSE;
          g_array_append_val (query->conditions, condition);
        }
    }
  return TRUE;
}

static gboolean
condition_matches (KcSimServer        *self,
                   const SimCondition *condition,
                   const SimTable     *table,
                   guint32             row,
                   SimTextMatch        text_match)
{
  gint64 t = sim_table_time (table, row);

  switch (condition->comparator)
    {
    case CMP_EQ:
      return t == condition->time;
    case CMP_NOT_EQ:
      return t != condition->time;
    case CMP_LESS:
      return t < condition->time;
    case CMP_LESS_EQ:
      return t <= condition->time;
    case CMP_GREATER:
      return t > condition->time;
    case CMP_GREATER_EQ:
      return t >= condition->time;
    case CMP_LIKE:
      return text_match (self, sim_table_row (table, row), condition->text);
    default:
      g_assert_not_reached ();
    }
}

static gboolean
row_matches (KcSimServer    *self,
             const SimQuery *query,
             const SimTable *table,
             guint32         row,
             SimTextMatch    text_match)
{
  if (query->conditions->len == 0)
    return TRUE;
  for (guint i = 0; i < query->conditions->len; i++)
    {
      const SimCondition *condition = &g_array_index (query->conditions, SimCondition, i);

      if (condition_matches (self, condition, table, row, text_match) == query->match_any)
        return query->match_any;
    }
  return !query->match_any;
}

/* The time range [*from, *to] when the conditions amount to one */
static gboolean
query_as_time_range (const SimQuery *query,
                     gint64         *from,
                     gint64         *to)
{
  *from = G_MININT64;
  *to = G_MAXINT64;
  if (query->match_any && query->conditions->len > 1)
    return FALSE;
  for (guint i = 0; i < query->conditions->len; i++)
    {
      const SimCondition *condition = &g_array_index (query->conditions, SimCondition, i);
      gint64 value = condition->time;

      switch (condition->comparator)
        {
        case CMP_EQ:
          *from = MAX (*from, value);
          *to = MIN (*to, value);
          break;
        case CMP_LESS:
          if (value == G_MININT64)
            return FALSE;
          *to = MIN (*to, value - 1);
          break;
        case CMP_LESS_EQ:
          *to = MIN (*to, value);
          break;
        case CMP_GREATER:
          if (value == G_MAXINT64)
            return FALSE;
          *from = MAX (*from, value + 1);
          break;
        case CMP_GREATER_EQ:
          *from = MAX (*from, value);
          break;
        case CMP_NOT_EQ:
        case CMP_LIKE:
        default:
          return FALSE;
        }
    }
  return TRUE;
}

static void
select_rows (KcSimServer    *self,
             SimTable       *table,
             const SimQuery *query,
             SimTextMatch    text_match,
             SimSelection   *selection)
{
  gint64 from, to;

  sim_table_update_order (table);
  selection->matches = NULL;

  if (query_as_time_range (query, &from, &to))
    {
      selection->lo = sim_table_bound (table, from, FALSE);
      selection->hi = from <= to ? sim_table_bound (table, to, TRUE) : selection->lo;
      selection->hi = MAX (selection->hi, selection->lo);
      return;
    }

  selection->matches = g_array_new (FALSE, FALSE, sizeof (guint32));
  for (guint i = 0; i < table->order->len; i++)
    {
      guint32 row = g_array_index (table->order, guint32, i);

      if (row_matches (self, query, table, row, text_match))
        g_array_append_val (selection->matches, row);
    }
}

static guint
selection_count (const SimSelection *selection)
{
  return selection->matches ? selection->matches->len : selection->hi - selection->lo;
}

static guint32
selection_get (const SimTable     *table,
               const SimSelection *selection,
               guint               position)
{
  if (selection->matches)
    return g_array_index (selection->matches, guint32, position);
  return g_array_index (table->order, guint32, selection->lo + position);
}

typedef void (*SimWriteRow) (KcSimServer   *self,
                             GString       *out,
                             gconstpointer  row);

/* `"<list_name>":[rows...],"totalItems":N`, one page as asked and capped */
static void
write_page (KcSimServer    *self,
            GString        *out,
            SimTable       *table,
            const SimQuery *query,
            SimTextMatch    text_match,
            const char     *list_name,
            SimWriteRow     write_row)
{
  SimSelection selection = { 0 };
  guint total, first, count;

  select_rows (self, table, query, text_match, &selection);
  total = selection_count (&selection);
  first = (guint) MIN (query->start, (gint64) total);
  count = total - first;
  if (query->limit >= 0 && query->limit < count)
    count = (guint) query->limit;
  if (self->page_cap > 0)
    count = MIN (count, self->page_cap);

  g_string_append_printf (out, "\"%s\":[", list_name);
  for (guint k = 0; k < count; k++)
    {
      guint position = query->ascending ? first + k : total - 1 - (first + k);

      if (k > 0)
        g_string_append_c (out, ',');
      write_row (self, out, sim_table_row (table, selection_get (table, &selection, position)));
    }
  g_string_append (out, "],");
  kc_sim_write_member_int (self, out, "totalItems", total);
  g_clear_pointer (&selection.matches, g_array_unref);
}

/* --- Rows */

char *
kc_sim_cdr_id (KcSimServer  *self,
               const SimCdr *cdr)
{
  if (cdr->flags & CDR_GENERATED_ID)
    return g_strdup_printf ("%s-%u", kc_sim_lookup (self, cdr->id), cdr->id_number);
  return g_strdup (kc_sim_lookup (self, cdr->id));
}

static void
write_cdr (KcSimServer   *self,
           GString       *out,
           gconstpointer  row)
{
  const SimCdr *cdr = row;
  const char *from = kc_sim_lookup (self, cdr->from);

  g_string_append_c (out, '{');
  if (cdr->id != NO_STRING && (cdr->flags & CDR_GENERATED_ID))
    {
      /* kc_sim_cdr_id() written in place */
      kc_sim_write_member_name (out, "ID");
      kc_sim_write_string (out, kc_sim_lookup (self, cdr->id));
      g_string_truncate (out, out->len - 1);
      g_string_append_c (out, '-');
      kc_sim_write_int (out, cdr->id_number);
      g_string_append_len (out, "\",", 2);
    }
  else if (cdr->id != NO_STRING)
    {
      kc_sim_write_member_string (out, "ID", kc_sim_lookup (self, cdr->id));
      g_string_append_c (out, ',');
    }
  kc_sim_write_member_int (self, out, "TIMESTAMP", cdr->timestamp);
  g_string_append_c (out, ',');
  kc_sim_write_member_string (out, "FROM_NUM", from);
  g_string_append_c (out, ',');
  kc_sim_write_member_string (out, "TO_NUM", kc_sim_lookup (self, cdr->to));
  g_string_append_c (out, ',');
  kc_sim_write_member_string (out, "FROM_TYPE",
                              kc_sim_is_extension (from) ? "INTERNAL" : "EXTERNAL");
  g_string_append_c (out, ',');
  kc_sim_write_member_int (self, out, "STATUS", cdr->status);
  g_string_append_c (out, ',');
  kc_sim_write_member_int (self, out, "CALL_DURATION", cdr->call_duration);
  g_string_append_c (out, ',');
  kc_sim_write_member_int (self, out, "ANSWERED_DURATION", cdr->answered_duration);
  g_string_append_c (out, '}');
}

static gboolean
cdr_matches_text (KcSimServer   *self,
                  gconstpointer  row,
                  const char    *needle)
{
  const SimCdr *cdr = row;
  g_autofree char *id = cdr->id != NO_STRING ? kc_sim_cdr_id (self, cdr) : NULL;

  return contains_text (kc_sim_lookup (self, cdr->from), needle)
         || contains_text (kc_sim_lookup (self, cdr->to), needle)
         || (id && contains_text (id, needle));
}

static void
write_recording (KcSimServer   *self,
                 GString       *out,
                 gconstpointer  row)
{
  const SimRecording *recording = row;

  g_string_append_c (out, '{');
  kc_sim_write_member_string (out, "ID", kc_sim_lookup (self, recording->id));
  g_string_append_c (out, ',');
  kc_sim_write_member_string (out, "NAME", kc_sim_lookup (self, recording->name));
  g_string_append_c (out, ',');
  kc_sim_write_member_string (out, "EXTENSION", kc_sim_lookup (self, recording->extension));
  g_string_append_c (out, ',');
  kc_sim_write_member_string (out, "CALLER_ID", kc_sim_lookup (self, recording->caller_id));
  g_string_append_c (out, ',');
  kc_sim_write_member_int (self, out, "DURATION", recording->duration);
  g_string_append_c (out, ',');
  kc_sim_write_member_int (self, out, "STARTED", recording->started);
  g_string_append_c (out, '}');
}

static gboolean
recording_matches_text (KcSimServer   *self,
                        gconstpointer  row,
                        const char    *needle)
{
  const SimRecording *recording = row;

  return contains_text (kc_sim_lookup (self, recording->name), needle)
         || contains_text (kc_sim_lookup (self, recording->extension), needle)
         || contains_text (kc_sim_lookup (self, recording->caller_id), needle);
}

static const SimRecording *
find_recording (KcSimServer *self,
                const char  *id,
                guint       *row)
{
  for (guint i = 0; i < self->recordings.rows->len; i++)
    {
      const SimRecording *recording = &g_array_index (self->recordings.rows, SimRecording, i);

      if (g_strcmp0 (kc_sim_lookup (self, recording->id), id) == 0)
        {
          *row = i;
          return recording;
        }
    }
  return NULL;
}

gboolean
kc_sim_rpc_get_call_history (KcSimServer        *self,
                             SoupServerMessage  *msg,
                             JsonObject         *params,
                             GString            *out,
                             GError            **error)
{
  SimQuery query;
  gboolean ok = parse_query (params, "TIMESTAMP", &query, error);

  if (ok)
    {
      g_string_append_c (out, '{');
      write_page (self, out, &self->cdrs, &query, cdr_matches_text, "callHistory", write_cdr);
      g_string_append_c (out, '}');
    }
  sim_query_clear (&query);
  return ok;
}

gboolean
kc_sim_rpc_get_recordings (KcSimServer        *self,
                           SoupServerMessage  *msg,
                           JsonObject         *params,
                           GString            *out,
                           GError            **error)
{
  SimQuery query;
  gboolean ok = parse_query (params, "STARTED", &query, error);

  if (ok)
    {
      g_string_append_c (out, '{');
      write_page (self, out, &self->recordings, &query, recording_matches_text, "recordingList",
                  write_recording);
      g_string_append_c (out, '}');
    }
  sim_query_clear (&query);
  return ok;
}

gboolean
kc_sim_rpc_download_audio (KcSimServer        *self,
                           SoupServerMessage  *msg,
                           JsonObject         *params,
                           GString            *out,
                           GError            **error)
{
  const char *id = kc_sim_object_get_string (params, "id");
  const SimRecording *recording;
  g_autofree char *key = NULL;
  g_autofree char *file_name = NULL;
  g_autofree char *url = NULL;
  guint row;

  recording = id ? find_recording (self, id, &row) : NULL;
  if (recording == NULL)
    {
      g_set_error (error, RPC_ERROR, RPC_NO_SUCH_ITEM, "Recording '%s' does not exist.",
                   id ? id : "");
      return FALSE;
    }

  key = g_uuid_string_random ();
  file_name = g_strdup_printf ("%s.wav", kc_sim_lookup (self, recording->name));
  url = g_strdup_printf (DOWNLOAD_PATH "%s/%s", key, file_name);

  g_string_append (out, "{\"fileDownload\":{");
  kc_sim_write_member_string (out, "url",
                              self->download_url_override ? self->download_url_override : url);
  g_string_append_c (out, ',');
  kc_sim_write_member_string (out, "name", file_name);
  g_string_append_c (out, ',');
  kc_sim_write_member_int (self, out, "length", (gint64) kc_sim_wav_get_size (recording->duration));
  g_string_append (out, "}}");

  g_hash_table_insert (self->downloads, g_steal_pointer (&key), GUINT_TO_POINTER (row + 1));
  return TRUE;
}

void
kc_sim_add_cdr_row (KcSimServer    *self,
                    guint32         id,
                    gint64          timestamp,
                    const char     *from_number,
                    const char     *to_number,
                    KcSimCdrStatus  status,
                    gint64          call_duration,
                    gint64          answered_duration)
{
  SimCdr cdr = {
    .timestamp = timestamp,
    .id = id,
    .from = kc_sim_intern (self, from_number),
    .to = kc_sim_intern (self, to_number),
    .call_duration = (guint32) CLAMP (call_duration, 0, G_MAXUINT32),
    .answered_duration = (guint32) CLAMP (answered_duration, 0, G_MAXUINT32),
    .status = (guint8) status,
  };

  g_array_append_val (self->cdrs.rows, cdr);
}

void
kc_sim_add_recording_row (KcSimServer *self,
                          const char  *id,
                          const char  *extension,
                          const char  *caller_id,
                          gint64       started,
                          gint64       duration)
{
  g_autoptr (GDateTime) when = g_date_time_new_from_unix_utc (started);
  g_autofree char *stamp = when ? g_date_time_format (when, "%Y%m%d-%H%M%S") : g_strdup ("0");
  GString *name = g_string_new (NULL);
  SimRecording recording = { 0 };

  /* Only digits and dashes, so that the name is safe in a download URL */
  g_string_printf (name, "%s-%s-", stamp, extension);
  for (const char *p = caller_id; *p; p++)
    if (g_ascii_isdigit (*p))
      g_string_append_c (name, *p);

  recording.started = started;
  recording.id = kc_sim_intern (self, id);
  recording.name = kc_sim_intern (self, name->str);
  recording.extension = kc_sim_intern (self, extension);
  recording.caller_id = kc_sim_intern (self, caller_id);
  recording.duration = (guint32) CLAMP (duration, 0, G_MAXUINT32);
  g_array_append_val (self->recordings.rows, recording);
  g_string_free (name, TRUE);
}

/* --- Written directly and by calls */

void
kc_sim_server_add_cdr (KcSimServer    *self,
                       const char     *id,
                       gint64          timestamp,
                       const char     *from_number,
                       const char     *to_number,
                       KcSimCdrStatus  status,
                       gint64          call_duration,
                       gint64          answered_duration)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  g_return_if_fail (from_number != NULL && to_number != NULL);

  kc_sim_add_cdr_row (self, id ? kc_sim_intern (self, id) : NO_STRING, timestamp, from_number,
                      to_number, status, call_duration, answered_duration);
}

/* A cheap integer hash, so that generated rows vary without a GRand call
 * per field */
static guint32
mix (guint64 x)
{
  x ^= x >> 33;
  x *= G_GUINT64_CONSTANT (0xff51afd7ed558ccd);
  x ^= x >> 33;
  x *= G_GUINT64_CONSTANT (0xc4ceb9fe1a85ec53);
  x ^= x >> 33;
  return (guint32) x;
}

void
kc_sim_server_add_generated_cdrs (KcSimServer *self,
                                  const char  *prefix,
                                  guint        n,
                                  gint64       first_ts,
                                  gint64       step)
{
  /* Regular customers call again and again: a few hundred distinct numbers
   * keep the string table small whatever n is. */
  guint32 mobiles[256];
  guint32 extensions[10];
  guint32 prefix_id;
  guint first_row;

  g_return_if_fail (KC_IS_SIM_SERVER (self));
  g_return_if_fail (prefix != NULL);

  for (guint i = 0; i < G_N_ELEMENTS (mobiles); i++)
    {
      const char *prefix_digits = kc_sim_mobile_prefixes[i % G_N_ELEMENTS (kc_sim_mobile_prefixes)];
      g_autofree char *number = g_strdup_printf ("%s%07u", prefix_digits, mix (i + 1) % 10000000);
      mobiles[i] = kc_sim_intern (self, number);
    }
  for (guint i = 0; i < G_N_ELEMENTS (extensions); i++)
    {
      g_autofree char *number = g_strdup_printf ("%u", 1001 + i);
      extensions[i] = kc_sim_intern (self, number);
    }
  prefix_id = kc_sim_intern (self, prefix);

  first_row = self->cdrs.rows->len;
  g_array_set_size (self->cdrs.rows, first_row + n);
  for (guint i = 0; i < n; i++)
    {
      SimCdr *cdr = &g_array_index (self->cdrs.rows, SimCdr, first_row + i);
      guint32 h = mix (((guint64) prefix_id << 32) ^ i);
      guint32 mobile = mobiles[h % G_N_ELEMENTS (mobiles)];
      guint32 extension = extensions[(h >> 8) % G_N_ELEMENTS (extensions)];
      guint outcome = (h >> 12) % 100;
      guint ring = 2 + (h >> 20) % 14;
      guint talk = 5 + mix (h) % 116;
      gboolean incoming = (h >> 24) % 10 < 7;

      cdr->timestamp = first_ts + (gint64) i * step;
      cdr->id = prefix_id;
      cdr->id_number = i;
      cdr->flags = CDR_GENERATED_ID;
      cdr->from = incoming ? mobile : extension;
      cdr->to = incoming ? extension : mobile;
      cdr->answered_duration = 0;
      cdr->call_duration = ring;
      if (outcome < 60)
        {
          cdr->status = KC_SIM_CDR_ANSWERED;
          cdr->answered_duration = talk;
          cdr->call_duration = ring + talk;
          if (self->record_generated)
            {
              g_autofree char *recording_id = g_strdup_printf ("rec-%s-%u", prefix, i);

              kc_sim_add_recording_row (self, recording_id, kc_sim_lookup (self, extension),
                                        kc_sim_lookup (self, mobile), cdr->timestamp + ring, talk);
            }
        }
      else if (outcome < 85)
        cdr->status = KC_SIM_CDR_NO_ANSWER;
      else if (outcome < 95)
        cdr->status = KC_SIM_CDR_BUSY;
      else
        cdr->status = KC_SIM_CDR_FAILED;
    }
}

guint
kc_sim_server_get_n_cdrs (KcSimServer *self)
{
  g_return_val_if_fail (KC_IS_SIM_SERVER (self), 0);
  return self->cdrs.rows->len;
}

void
kc_sim_server_add_recording (KcSimServer *self,
                             const char  *id,
                             const char  *extension,
                             const char  *caller_id,
                             gint64       started,
                             gint64       duration)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  g_return_if_fail (id != NULL && extension != NULL && caller_id != NULL);

  kc_sim_add_recording_row (self, id, extension, caller_id, started, duration);
}

void
kc_sim_server_set_record_calls (KcSimServer *self,
                                gboolean     record)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  self->record_calls = record;
}

void
kc_sim_server_set_record_generated (KcSimServer *self,
                                    gboolean     record)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  self->record_generated = record;
}

void
kc_sim_server_set_download_url_override (KcSimServer *self,
                                         const char  *url)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  g_free (self->download_url_override);
  self->download_url_override = g_strdup (url);
}
