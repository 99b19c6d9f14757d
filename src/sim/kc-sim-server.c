/* kc-sim-server.c
 *
 * History is kept compact so that a million CDRs fit in a few tens of
 * megabytes: rows are plain structs whose strings are indices into one
 * interned string table, and each table keeps an index of its rows sorted by
 * time, so that a page with time conditions costs two binary searches rather
 * than a scan. Responses are written straight into a GString for the same
 * reason.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-sim-server"

#include <math.h>
#include <string.h>

#include <libsoup/soup.h>

#include "kc-sim-server.h"
#include "kc-sim-wav.h"

#define COOKIE_NAME "SESSION_OPERATOR_WEBADMIN"
#define DOWNLOAD_PATH "/admin/api/download/"
#define CONTROL_PATH "/sim/control"
#define JSON_RPC_TYPE "application/json-rpc; charset=UTF-8"
#define HUGE_PADDING (17 * 1024 * 1024)
#define NO_STRING G_MAXUINT32

/* JSON-RPC error codes; GError codes in rpc_error_quark() are these */
enum
{
  RPC_PARSE_ERROR = -32700,
  RPC_INVALID_REQUEST = -32600,
  RPC_METHOD_NOT_FOUND = -32601,
  RPC_INVALID_PARAMS = -32602,
  RPC_SESSION_EXPIRED = -32001,
  RPC_LOGIN_FAILED = 1000,
  RPC_NO_SUCH_ITEM = 1001,
};

typedef struct
{
  char   *id;
  char   *from_number;
  char   *from_name;
  char   *to_number;
  char   *to_name;
  gint64  start_us;
  gint64  answer_us; /* 0 while ringing */
  guint   ringing_polls;
  guint   ringing_requests;
} SimCall;

/* What became of a live call, for the ground truth */
typedef struct
{
  guint32 id;
  guint32 from;
  guint32 to;
  gint64  start_us;
  gint64  ring_end_us; /* answered or gone */
  guint   ringing_polls;
  guint   ringing_requests;
  gboolean answered;
} SimCallLog;

/* The time column comes first in both row types: SimTable reads it without
 * knowing the rest. */
typedef struct
{
  gint64  timestamp;
  guint32 id;        /* string index, or the prefix of a generated id */
  guint32 id_number; /* with CDR_GENERATED_ID: the id is "<prefix>-<id_number>" */
  guint32 from;
  guint32 to;
  guint32 call_duration;
  guint32 answered_duration;
  guint8  status;
  guint8  flags;
} SimCdr;

#define CDR_GENERATED_ID 1

typedef struct
{
  gint64  started;
  guint32 id;
  guint32 name;
  guint32 extension;
  guint32 caller_id;
  guint32 duration;
} SimRecording;

typedef struct
{
  GArray *rows;
  GArray *order; /* guint32 row numbers by (time, row number) */
} SimTable;

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

/* An answer held back by the SLOW or DROP fault */
typedef struct
{
  KcSimServer       *self;
  SoupServerMessage *msg;
  KcSimFault         fault;
  guint              source;
  gulong             disconnected_id;
} PendingAnswer;

typedef struct
{
  KcSimServer    *self;
  char           *call_id;
  KcSimCdrStatus  outcome;
  guint           talk_ms;
  guint           source;
} TrafficCall;

struct _KcSimServer
{
  GObject       parent_instance;

  SoupServer   *server;
  guint16       port;
  gboolean      https;

  char         *username;
  char         *password;
  guint         page_cap;
  gboolean      omit_call_ids;
  gboolean      numeric_status;
  gboolean      numbers_as_strings;
  gboolean      record_calls;
  gboolean      record_generated;
  char         *download_url_override;

  GHashTable   *sessions; /* token -> cookie value */
  gboolean      ever_logged_in;

  GPtrArray    *calls; /* SimCall */
  guint         call_serial;

  GStringChunk *string_chunk;
  GPtrArray    *strings;    /* string index -> text in string_chunk */
  GHashTable   *string_ids; /* text -> string index + 1 */

  SimTable      cdrs;
  SimTable      recordings;
  GHashTable   *downloads; /* key -> recording row + 1 */

  KcSimFault    fault;
  guint         fault_remaining;
  double        slow_delay;
  GPtrArray    *pending; /* PendingAnswer */
  GRand        *fault_rand;
  double        fault_rates[KC_SIM_FAULT_SLOW + 1];
  guint         fault_counts[KC_SIM_FAULT_SLOW + 1];
  KcSimFault    current_fault; /* of the answer being written */
  double        expire_every;
  guint         expire_source;
  guint         expiry_count;

  GTlsCertificate *certificate;
  gboolean      down;
  guint         up_source;
  guint         restart_count;
  SoupServerMessage *control_msg; /* the control request being handled */
  double        restart_down_for;
  GArray       *call_log; /* SimCallLog of the calls gone */

  GHashTable   *request_counts; /* method -> count */
  guint         unauthenticated_count;
  guint         download_count;
  guint         connection_count;

  GRand        *traffic_rand;
  double        traffic_rate;
  double        traffic_max_talk; /* seconds */
  guint         traffic_source;
  GPtrArray    *traffic_calls; /* TrafficCall */
};

G_DEFINE_FINAL_TYPE (KcSimServer, kc_sim_server, G_TYPE_OBJECT)

static GQuark
rpc_error_quark (void)
{
  return g_quark_from_static_string ("kc-sim-rpc-error");
}

#define RPC_ERROR (rpc_error_quark ())

static const struct
{
  KcSimFault  fault;
  const char *name;
} fault_names[] = {
  { KC_SIM_FAULT_NONE, "none" },
  { KC_SIM_FAULT_HTML, "html" },
  { KC_SIM_FAULT_NOT_FOUND, "notFound" },
  { KC_SIM_FAULT_HTTP_500, "http500" },
  { KC_SIM_FAULT_TRUNCATED, "truncated" },
  { KC_SIM_FAULT_MALFORMED, "malformed" },
  { KC_SIM_FAULT_WRONG_SHAPE, "wrongShape" },
  { KC_SIM_FAULT_HUGE, "huge" },
  { KC_SIM_FAULT_DROP, "drop" },
  { KC_SIM_FAULT_SLOW, "slow" },
};

static const char *const caller_names[] = {
  "Aziz Karimov", "Dilnoza Rahimova", "Jasur Toshmatov", "Malika Yusupova",
  "Sardor Aliyev", "Nigora Xasanova", "Bekzod Ergashev", "Shahlo Mirzayeva",
  "Otabek Qodirov", "Gulnora Nazarova", "Rustam Saidov", "Feruza Ismoilova",
};

/* The people behind extensions 1001..1010 */
static const char *const operator_names[] = {
  "Nodira Usmonova", "Timur Abdullayev", "Zarina Sobirova", "Akmal Hamidov",
  "Madina Olimova", "Sherzod Rasulov", "Laylo Jo'rayeva", "Ulug'bek Tursunov",
  "Kamola Azimova", "Doniyor Rahmonov",
};

static const char *const mobile_prefixes[] = {
  "+99890", "+99891", "+99893", "+99894", "+99895", "+99897", "+99898", "+99899",
};

/* --- Strings */

static guint32
intern (KcSimServer *self,
        const char  *text)
{
  gpointer found = g_hash_table_lookup (self->string_ids, text);
  char *copy;

  if (found)
    return GPOINTER_TO_UINT (found) - 1;
  copy = g_string_chunk_insert (self->string_chunk, text);
  g_ptr_array_add (self->strings, copy);
  g_hash_table_insert (self->string_ids, copy, GUINT_TO_POINTER (self->strings->len));
  return self->strings->len - 1;
}

static const char *
lookup_string (KcSimServer *self,
               guint32      id)
{
  return g_ptr_array_index (self->strings, id);
}

static gboolean
is_extension (const char *number)
{
  gsize len = strlen (number);

  if (len == 0 || len > 6)
    return FALSE;
  for (const char *p = number; *p; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  return TRUE;
}

static gboolean
contains_text (const char *haystack,
               const char *needle)
{
  g_autofree char *lower = g_ascii_strdown (haystack, -1);

  return strstr (lower, needle) != NULL;
}

/* --- JSON output */

static void
write_string (GString    *out,
              const char *text)
{
  const char *p = text;

  g_string_append_c (out, '"');
  for (;;)
    {
      /* The plain run in one go: a page holds a million of these */
      gsize run = 0;
      guchar c;

      while ((c = (guchar) p[run]) >= 0x20 && c != '"' && c != '\\')
        run++;
      g_string_append_len (out, p, (gssize) run);
      p += run;
      if (c == '\0')
        break;
      if (c == '"' || c == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, (char) c);
        }
      else
        g_string_append_printf (out, "\\u%04x", c);
      p++;
    }
  g_string_append_c (out, '"');
}

static void
write_member_name (GString    *out,
                   const char *name)
{
  g_string_append_c (out, '"');
  g_string_append (out, name);
  g_string_append_len (out, "\":", 2);
}

static void
write_member_string (GString    *out,
                     const char *name,
                     const char *value)
{
  write_member_name (out, name);
  write_string (out, value);
}

/* Decimal digits without printf, which took a fifth of a page's time */
static void
write_int (GString *out,
           gint64   value)
{
  char digits[24];
  char *end = digits + sizeof digits;
  char *p = end;
  guint64 magnitude = value < 0 ? -(guint64) value : (guint64) value;

  do
    {
      *--p = (char) ('0' + magnitude % 10);
      magnitude /= 10;
    }
  while (magnitude > 0);
  if (value < 0)
    *--p = '-';
  g_string_append_len (out, p, end - p);
}

static void
write_member_int (KcSimServer *self,
                  GString     *out,
                  const char  *name,
                  gint64       value)
{
  write_member_name (out, name);
  if (self->numbers_as_strings)
    g_string_append_c (out, '"');
  write_int (out, value);
  if (self->numbers_as_strings)
    g_string_append_c (out, '"');
}

/* --- JSON input */

static gboolean
node_get_int (JsonNode *node,
              gint64   *out)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      *out = json_node_get_int (node);
      return TRUE;
    case G_TYPE_DOUBLE:
      *out = (gint64) json_node_get_double (node);
      return TRUE;
    case G_TYPE_STRING:
      return g_ascii_string_to_signed (json_node_get_string (node), 10, G_MININT64, G_MAXINT64,
                                       out, NULL);
    default:
      return FALSE;
    }
}

static const char *
object_get_string (JsonObject *object,
                   const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
object_get_int (JsonObject *object,
                const char *name,
                gint64     *out)
{
  return node_get_int (object ? json_object_get_member (object, name) : NULL, out);
}

/* --- Tables and queries */

static void
sim_table_init (SimTable *table,
                guint     row_size)
{
  table->rows = g_array_new (FALSE, FALSE, row_size);
  table->order = g_array_new (FALSE, FALSE, sizeof (guint32));
}

static void
sim_table_clear (SimTable *table)
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
  const char *field = object_get_string (object, "fieldName");
  const char *comparator = object_get_string (object, "comparator");
  JsonNode *value = object ? json_object_get_member (object, "value") : NULL;

  if (!parse_comparator (comparator, &condition->comparator))
    goto unsupported;

  if (g_strcmp0 (field, time_field) == 0 && condition->comparator != CMP_LIKE
      && node_get_int (value, &condition->time))
    return TRUE;

  if (g_strcmp0 (field, "SEARCH") == 0 && condition->comparator == CMP_LIKE
      && object_get_string (object, "value") != NULL)
    {
      condition->text = g_ascii_strdown (object_get_string (object, "value"), -1);
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
  const char *combining = object_get_string (object, "combining");

  query->start = 0;
  query->limit = -1;
  query->ascending = FALSE;
  query->match_any = combining && g_ascii_strcasecmp (combining, "Or") == 0;
  query->conditions = g_array_new (FALSE, TRUE, sizeof (SimCondition));
  g_array_set_clear_func (query->conditions, sim_condition_clear);

  if (object_get_int (object, "start", &query->start))
    query->start = MAX (query->start, 0);
  object_get_int (object, "limit", &query->limit);

  if (order_by && JSON_NODE_HOLDS_ARRAY (order_by))
    {
      JsonArray *array = json_node_get_array (order_by);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *item = json_array_get_element (array, i);
          JsonObject *column = JSON_NODE_HOLDS_OBJECT (item) ? json_node_get_object (item) : NULL;
          const char *direction = object_get_string (column, "direction");

          if (g_strcmp0 (object_get_string (column, "columnName"), time_field) == 0)
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
  write_member_int (self, out, "totalItems", total);
  g_clear_pointer (&selection.matches, g_array_unref);
}

/* --- Rows */

static char *
cdr_id (KcSimServer  *self,
        const SimCdr *cdr)
{
  if (cdr->flags & CDR_GENERATED_ID)
    return g_strdup_printf ("%s-%u", lookup_string (self, cdr->id), cdr->id_number);
  return g_strdup (lookup_string (self, cdr->id));
}

static void
write_cdr (KcSimServer   *self,
           GString       *out,
           gconstpointer  row)
{
  const SimCdr *cdr = row;
  const char *from = lookup_string (self, cdr->from);

  g_string_append_c (out, '{');
  if (cdr->id != NO_STRING && (cdr->flags & CDR_GENERATED_ID))
    {
      /* cdr_id() written in place */
      write_member_name (out, "ID");
      write_string (out, lookup_string (self, cdr->id));
      g_string_truncate (out, out->len - 1);
      g_string_append_c (out, '-');
      write_int (out, cdr->id_number);
      g_string_append_len (out, "\",", 2);
    }
  else if (cdr->id != NO_STRING)
    {
      write_member_string (out, "ID", lookup_string (self, cdr->id));
      g_string_append_c (out, ',');
    }
  write_member_int (self, out, "TIMESTAMP", cdr->timestamp);
  g_string_append_c (out, ',');
  write_member_string (out, "FROM_NUM", from);
  g_string_append_c (out, ',');
  write_member_string (out, "TO_NUM", lookup_string (self, cdr->to));
  g_string_append_c (out, ',');
  write_member_string (out, "FROM_TYPE", is_extension (from) ? "INTERNAL" : "EXTERNAL");
  g_string_append_c (out, ',');
  write_member_int (self, out, "STATUS", cdr->status);
  g_string_append_c (out, ',');
  write_member_int (self, out, "CALL_DURATION", cdr->call_duration);
  g_string_append_c (out, ',');
  write_member_int (self, out, "ANSWERED_DURATION", cdr->answered_duration);
  g_string_append_c (out, '}');
}

static gboolean
cdr_matches_text (KcSimServer   *self,
                  gconstpointer  row,
                  const char    *needle)
{
  const SimCdr *cdr = row;
  g_autofree char *id = cdr->id != NO_STRING ? cdr_id (self, cdr) : NULL;

  return contains_text (lookup_string (self, cdr->from), needle)
         || contains_text (lookup_string (self, cdr->to), needle)
         || (id && contains_text (id, needle));
}

static void
write_recording (KcSimServer   *self,
                 GString       *out,
                 gconstpointer  row)
{
  const SimRecording *recording = row;

  g_string_append_c (out, '{');
  write_member_string (out, "ID", lookup_string (self, recording->id));
  g_string_append_c (out, ',');
  write_member_string (out, "NAME", lookup_string (self, recording->name));
  g_string_append_c (out, ',');
  write_member_string (out, "EXTENSION", lookup_string (self, recording->extension));
  g_string_append_c (out, ',');
  write_member_string (out, "CALLER_ID", lookup_string (self, recording->caller_id));
  g_string_append_c (out, ',');
  write_member_int (self, out, "DURATION", recording->duration);
  g_string_append_c (out, ',');
  write_member_int (self, out, "STARTED", recording->started);
  g_string_append_c (out, '}');
}

static gboolean
recording_matches_text (KcSimServer   *self,
                        gconstpointer  row,
                        const char    *needle)
{
  const SimRecording *recording = row;

  return contains_text (lookup_string (self, recording->name), needle)
         || contains_text (lookup_string (self, recording->extension), needle)
         || contains_text (lookup_string (self, recording->caller_id), needle);
}

static const SimRecording *
find_recording (KcSimServer *self,
                const char  *id,
                guint       *row)
{
  for (guint i = 0; i < self->recordings.rows->len; i++)
    {
      const SimRecording *recording = &g_array_index (self->recordings.rows, SimRecording, i);

      if (g_strcmp0 (lookup_string (self, recording->id), id) == 0)
        {
          *row = i;
          return recording;
        }
    }
  return NULL;
}

/* --- Live calls */

static void
sim_call_free (gpointer data)
{
  SimCall *call = data;

  g_free (call->id);
  g_free (call->from_number);
  g_free (call->from_name);
  g_free (call->to_number);
  g_free (call->to_name);
  g_free (call);
}

static SimCall *
find_call (KcSimServer *self,
           const char  *call_id,
           guint       *position)
{
  for (guint i = 0; call_id && i < self->calls->len; i++)
    {
      SimCall *call = g_ptr_array_index (self->calls, i);

      if (strcmp (call->id, call_id) == 0)
        {
          if (position)
            *position = i;
          return call;
        }
    }
  return NULL;
}

static void
write_party (GString    *out,
             const char *member,
             const char *number,
             const char *name)
{
  g_string_append_printf (out, "\"%s\":{", member);
  write_member_string (out, "NUMBER", number);
  g_string_append_c (out, ',');
  write_member_string (out, "NAME", name ? name : "");
  g_string_append_c (out, '}');
}

static void
write_call (KcSimServer *self,
            GString     *out,
            SimCall     *call,
            gint64       now)
{
  g_string_append_c (out, '{');
  if (!self->omit_call_ids)
    {
      write_member_string (out, "ID", call->id);
      g_string_append_c (out, ',');
    }
  write_party (out, "FROM", call->from_number, call->from_name);
  g_string_append_c (out, ',');
  write_party (out, "TO", call->to_number, call->to_name);
  g_string_append_c (out, ',');
  if (self->numeric_status)
    write_member_int (self, out, "STATUS", call->answer_us ? 1 : 0);
  else
    write_member_string (out, "STATUS", call->answer_us ? "Answered" : "Ringing");
  g_string_append_c (out, ',');
  write_member_int (self, out, "ANSWERED_DURATION",
                    call->answer_us ? (now - call->answer_us) / G_USEC_PER_SEC : 0);
  g_string_append_c (out, ',');
  write_member_int (self, out, "CALL_DURATION", (now - call->start_us) / G_USEC_PER_SEC);
  g_string_append_c (out, '}');
}

/* --- JSON-RPC methods: each writes the text of its result or fails */

static gboolean
request_is_authenticated (KcSimServer       *self,
                          SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *token = soup_message_headers_get_one (headers, "X-Token");
  const char *cookie_header = soup_message_headers_get_list (headers, "Cookie");
  const char *expected = token ? g_hash_table_lookup (self->sessions, token) : NULL;
  GHashTable *cookies;
  gboolean ok;

  if (expected == NULL || cookie_header == NULL)
    return FALSE;
  cookies = soup_header_parse_semi_param_list (cookie_header);
  ok = g_strcmp0 (g_hash_table_lookup (cookies, COOKIE_NAME), expected) == 0;
  soup_header_free_param_list (cookies);
  return ok;
}

static gboolean
rpc_login (KcSimServer        *self,
           SoupServerMessage  *msg,
           JsonObject         *params,
           GString            *out,
           GError            **error)
{
  g_autofree char *token = NULL;
  g_autofree char *cookie = NULL;
  g_autofree char *set_cookie = NULL;

  if (g_strcmp0 (object_get_string (params, "userName"), self->username) != 0
      || g_strcmp0 (object_get_string (params, "password"), self->password) != 0)
    {
      g_set_error_literal (error, RPC_ERROR, RPC_LOGIN_FAILED,
                           "User name or password is incorrect.");
      return FALSE;
    }

  token = g_uuid_string_random ();
  cookie = g_uuid_string_random ();
  set_cookie = g_strdup_printf (COOKIE_NAME "=%s; path=/admin/;%s HttpOnly", cookie,
                                self->https ? " secure;" : "");
  soup_message_headers_append (soup_server_message_get_response_headers (msg), "Set-Cookie",
                               set_cookie);
  g_string_append_c (out, '{');
  write_member_string (out, "token", token);
  g_string_append_c (out, '}');
  g_hash_table_insert (self->sessions, g_steal_pointer (&token), g_steal_pointer (&cookie));
  self->ever_logged_in = TRUE;
  return TRUE;
}

static gboolean
rpc_logout (KcSimServer        *self,
            SoupServerMessage  *msg,
            JsonObject         *params,
            GString            *out,
            GError            **error)
{
  const char *token = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                    "X-Token");

  g_hash_table_remove (self->sessions, token);
  g_string_append (out, "{}");
  return TRUE;
}

static gboolean
rpc_get_calls (KcSimServer        *self,
               SoupServerMessage  *msg,
               JsonObject         *params,
               GString            *out,
               GError            **error)
{
  gint64 now = g_get_real_time ();

  g_string_append (out, "{\"calls\":[");
  for (guint i = 0; i < self->calls->len; i++)
    {
      SimCall *call = g_ptr_array_index (self->calls, i);

      if (i > 0)
        g_string_append_c (out, ',');
      write_call (self, out, call, now);
      if (call->answer_us == 0 && self->current_fault == KC_SIM_FAULT_NONE)
        call->ringing_polls++;
    }
  g_string_append (out, "],");
  write_member_int (self, out, "totalItems", self->calls->len);
  g_string_append_c (out, '}');
  return TRUE;
}

static gboolean
rpc_get_call_history (KcSimServer        *self,
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

static gboolean
rpc_get_recordings (KcSimServer        *self,
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

static gboolean
rpc_download_audio (KcSimServer        *self,
                    SoupServerMessage  *msg,
                    JsonObject         *params,
                    GString            *out,
                    GError            **error)
{
  const char *id = object_get_string (params, "id");
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
  file_name = g_strdup_printf ("%s.wav", lookup_string (self, recording->name));
  url = g_strdup_printf (DOWNLOAD_PATH "%s/%s", key, file_name);

  g_string_append (out, "{\"fileDownload\":{");
  write_member_string (out, "url", self->download_url_override ? self->download_url_override : url);
  g_string_append_c (out, ',');
  write_member_string (out, "name", file_name);
  g_string_append_c (out, ',');
  write_member_int (self, out, "length", (gint64) kc_sim_wav_get_size (recording->duration));
  g_string_append (out, "}}");

  g_hash_table_insert (self->downloads, g_steal_pointer (&key), GUINT_TO_POINTER (row + 1));
  return TRUE;
}

typedef gboolean (*RpcMethod) (KcSimServer        *self,
                               SoupServerMessage  *msg,
                               JsonObject         *params,
                               GString            *out,
                               GError            **error);

static const struct
{
  const char *name;
  RpcMethod   func;
  const char *wrong_shape; /* what the WRONG_SHAPE fault answers instead */
} rpc_methods[] = {
  { "Session.logout", rpc_logout, "\"oops\"" },
  { "Status.getCalls", rpc_get_calls, "{\"calls\":\"oops\",\"totalItems\":\"many\"}" },
  { "CallHistory.get", rpc_get_call_history, "{\"callHistory\":{},\"totalItems\":[]}" },
  { "Recordings.get", rpc_get_recordings, "{\"recordingList\":42,\"totalItems\":{}}" },
  { "Recordings.downloadAudioContent", rpc_download_audio, "{\"fileDownload\":[\"oops\"]}" },
};

/* --- Answers */

static void
respond (SoupServerMessage *msg,
         guint              status,
         const char        *content_type,
         GString           *body)
{
  gsize length = body->len;

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_TAKE,
                                    g_string_free (body, FALSE), length);
}

static void
respond_text (SoupServerMessage *msg,
              guint              status,
              const char        *content_type,
              const char        *text)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_COPY, text, strlen (text));
}

static GString *
rpc_envelope (const char   *id_json,
              const char   *result,
              const GError *error)
{
  GString *out = g_string_new ("{\"jsonrpc\":\"2.0\",\"id\":");

  g_string_append (out, id_json);
  if (error)
    {
      g_string_append_printf (out, ",\"error\":{\"code\":%d,", error->code);
      write_member_string (out, "message", error->message);
      g_string_append (out, ",\"data\":{\"messageParameters\":{\"positionalParameters\":[]}}}}");
    }
  else
    {
      g_string_append (out, ",\"result\":");
      g_string_append (out, result);
      g_string_append_c (out, '}');
    }
  return out;
}

static void
pending_answer_free (gpointer data)
{
  PendingAnswer *pending = data;

  g_clear_handle_id (&pending->source, g_source_remove);
  g_clear_signal_handler (&pending->disconnected_id, pending->msg);
  g_object_unref (pending->msg);
  g_free (pending);
}

static gboolean
pending_answer_fire (gpointer data)
{
  PendingAnswer *pending = data;

  pending->source = 0;
  g_clear_signal_handler (&pending->disconnected_id, pending->msg);
  if (pending->fault == KC_SIM_FAULT_DROP)
    {
      GIOStream *stream = soup_server_message_steal_connection (pending->msg);

      if (stream)
        {
          g_io_stream_close (stream, NULL, NULL);
          g_object_unref (stream);
        }
    }
  else
    {
      soup_server_message_unpause (pending->msg);
    }
  g_ptr_array_remove_fast (pending->self->pending, pending);
  return G_SOURCE_REMOVE;
}

static void
pending_answer_disconnected (SoupServerMessage *msg,
                             gpointer           data)
{
  PendingAnswer *pending = data;

  g_ptr_array_remove_fast (pending->self->pending, pending);
}

/* Stealing the connection from inside the handler would pull libsoup's I/O
 * state from under its feet, so the message is paused and dropped from the
 * main loop instead. */
static void
hold_answer (KcSimServer       *self,
             SoupServerMessage *msg,
             KcSimFault         fault)
{
  PendingAnswer *pending = g_new0 (PendingAnswer, 1);

  pending->self = self;
  pending->msg = g_object_ref (msg);
  pending->fault = fault;
  soup_server_message_pause (msg);
  if (fault == KC_SIM_FAULT_DROP)
    pending->source = g_idle_add (pending_answer_fire, pending);
  else
    pending->source = g_timeout_add ((guint) (self->slow_delay * 1000), pending_answer_fire,
                                     pending);
  pending->disconnected_id = g_signal_connect (msg, "disconnected",
                                               G_CALLBACK (pending_answer_disconnected), pending);
  g_ptr_array_add (self->pending, pending);
}

static void
send_rpc_answer (KcSimServer       *self,
                 SoupServerMessage *msg,
                 KcSimFault         fault,
                 GString           *body)
{
  static const char html_page[] =
    "<!DOCTYPE html>\n<html><head><title>Service Unavailable</title></head>"
    "<body><h1>Service Unavailable</h1><p>The server is temporarily unable to service your "
    "request.</p></body></html>\n";
  static const char not_found_page[] =
    "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>"
    "<body><h1>Not Found</h1><p>The requested URL was not found on this server.</p>"
    "</body></html>\n";
  static const char error_page[] =
    "<!DOCTYPE html>\n<html><head><title>500 Internal Server Error</title></head>"
    "<body><h1>Internal Server Error</h1></body></html>\n";
  static const char malformed[] = "{\"jsonrpc\":\"2.0\",\"result\":{calls:[{\"ID\":,}]";
  GString *huge;
  gsize at;

  switch (fault)
    {
    case KC_SIM_FAULT_HTML:
      respond_text (msg, SOUP_STATUS_OK, "text/html; charset=UTF-8", html_page);
      break;
    case KC_SIM_FAULT_NOT_FOUND:
      respond_text (msg, SOUP_STATUS_NOT_FOUND, "text/html; charset=UTF-8", not_found_page);
      break;
    case KC_SIM_FAULT_HTTP_500:
      respond_text (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "text/html; charset=UTF-8", error_page);
      break;
    case KC_SIM_FAULT_TRUNCATED:
      g_string_truncate (body, body->len / 2);
      respond (msg, SOUP_STATUS_OK, JSON_RPC_TYPE, g_steal_pointer (&body));
      break;
    case KC_SIM_FAULT_MALFORMED:
      respond_text (msg, SOUP_STATUS_OK, JSON_RPC_TYPE, malformed);
      break;
    case KC_SIM_FAULT_HUGE:
      /* Still the right answer, only padded: a client without a size cap
       * would swallow it whole. */
      huge = g_string_sized_new (body->len + HUGE_PADDING + 16);
      g_string_append (huge, "{\"padding\":\"");
      at = huge->len;
      g_string_set_size (huge, at + HUGE_PADDING);
      memset (huge->str + at, 'x', HUGE_PADDING);
      g_string_append (huge, "\",");
      g_string_append (huge, body->str + 1);
      respond (msg, SOUP_STATUS_OK, JSON_RPC_TYPE, huge);
      break;
    case KC_SIM_FAULT_DROP:
      hold_answer (self, msg, fault);
      break;
    case KC_SIM_FAULT_SLOW:
      respond (msg, SOUP_STATUS_OK, JSON_RPC_TYPE, g_steal_pointer (&body));
      hold_answer (self, msg, fault);
      break;
    case KC_SIM_FAULT_NONE:
    case KC_SIM_FAULT_WRONG_SHAPE:
    default:
      respond (msg, SOUP_STATUS_OK, JSON_RPC_TYPE, g_steal_pointer (&body));
      break;
    }

  if (body)
    g_string_free (body, TRUE);
}

static void
count_request (KcSimServer *self,
               const char  *method)
{
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (self->request_counts, method));

  g_hash_table_insert (self->request_counts, g_strdup (method), GUINT_TO_POINTER (n + 1));
}

static void
count_unauthenticated (KcSimServer *self)
{
  if (self->ever_logged_in)
    self->unauthenticated_count++;
}

/* The fault for the answer to this request: a counted one first (never on
 * a login), else one drawn at the configured rates. */
static KcSimFault
next_fault (KcSimServer *self,
            gboolean     login)
{
  double draw, sum = 0;

  if (!login && self->fault_remaining > 0)
    {
      self->fault_remaining--;
      return self->fault;
    }
  /* One draw per request whatever the rates, so that a run repeats */
  draw = g_rand_double (self->fault_rand);
  for (guint fault = KC_SIM_FAULT_NONE + 1; fault < G_N_ELEMENTS (self->fault_rates); fault++)
    {
      sum += self->fault_rates[fault];
      if (draw < sum)
        return (KcSimFault) fault;
    }
  return KC_SIM_FAULT_NONE;
}

static void
handle_jsonrpc (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  KcSimServer *self = user_data;
  SoupMessageBody *request = soup_server_message_get_request_body (msg);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) result = g_string_new (NULL);
  g_autofree char *id_json = NULL;
  JsonObject *object = NULL, *params = NULL;
  JsonNode *root, *id_node;
  const char *method = NULL;
  KcSimFault fault = KC_SIM_FAULT_NONE;
  guint entry;

  if (strcmp (path, KC_SIM_ENDPOINT_PATH) != 0)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  if (soup_server_message_get_method (msg) != SOUP_METHOD_POST)
    {
      soup_message_headers_append (soup_server_message_get_response_headers (msg), "Allow", "POST");
      soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
      return;
    }

  if (request->length == 0
      || !json_parser_load_from_data (parser, request->data, request->length, NULL))
    {
      g_set_error_literal (&error, RPC_ERROR, RPC_PARSE_ERROR, "Parse error.");
      respond (msg, SOUP_STATUS_OK, JSON_RPC_TYPE, rpc_envelope ("null", NULL, error));
      return;
    }

  root = json_parser_get_root (parser);
  if (root && JSON_NODE_HOLDS_OBJECT (root))
    object = json_node_get_object (root);
  id_node = object ? json_object_get_member (object, "id") : NULL;
  id_json = id_node ? json_to_string (id_node, FALSE) : g_strdup ("null");
  method = object_get_string (object, "method");
  if (object && json_object_has_member (object, "params")
      && JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "params")))
    params = json_object_get_object_member (object, "params");

  if (method == NULL)
    {
      g_set_error_literal (&error, RPC_ERROR, RPC_INVALID_REQUEST, "Invalid request.");
      respond (msg, SOUP_STATUS_OK, JSON_RPC_TYPE, rpc_envelope (id_json, NULL, error));
      return;
    }

  count_request (self, method);
  fault = next_fault (self, strcmp (method, "Session.login") == 0);
  self->current_fault = fault;
  if (fault != KC_SIM_FAULT_NONE)
    self->fault_counts[fault]++;

  if (strcmp (method, "Session.login") == 0)
    {
      rpc_login (self, msg, params, result, &error);
      send_rpc_answer (self, msg, fault,
                       rpc_envelope (id_json,
                                     fault == KC_SIM_FAULT_WRONG_SHAPE ? "\"oops\"" : result->str,
                                     error));
      return;
    }

  if (strcmp (method, "Status.getCalls") == 0)
    for (guint i = 0; i < self->calls->len; i++)
      {
        SimCall *call = g_ptr_array_index (self->calls, i);

        if (call->answer_us == 0)
          call->ringing_requests++;
      }

  for (entry = 0; entry < G_N_ELEMENTS (rpc_methods); entry++)
    if (strcmp (method, rpc_methods[entry].name) == 0)
      break;

  if (!request_is_authenticated (self, msg))
    {
      count_unauthenticated (self);
      g_set_error_literal (&error, RPC_ERROR, RPC_SESSION_EXPIRED, "Session expired.");
    }
  else if (entry < G_N_ELEMENTS (rpc_methods))
    rpc_methods[entry].func (self, msg, params, result, &error);
  else
    g_set_error (&error, RPC_ERROR, RPC_METHOD_NOT_FOUND, "Method '%s' not found.", method);

  if (fault == KC_SIM_FAULT_WRONG_SHAPE)
    send_rpc_answer (self, msg, fault,
                     rpc_envelope (id_json,
                                   entry < G_N_ELEMENTS (rpc_methods)
                                     ? rpc_methods[entry].wrong_shape
                                     : "\"oops\"",
                                   NULL));
  else
    send_rpc_answer (self, msg, fault, rpc_envelope (id_json, result->str, error));
}

static void
handle_download (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  KcSimServer *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  const char *rest = g_str_has_prefix (path, DOWNLOAD_PATH) ? path + strlen (DOWNLOAD_PATH) : "";
  const char *slash = strchr (rest, '/');
  g_autofree char *key = g_strndup (rest, slash ? (gsize) (slash - rest) : strlen (rest));
  gpointer found = g_hash_table_lookup (self->downloads, key);
  const SimRecording *recording;
  g_autoptr (GBytes) audio = NULL;
  g_autofree char *disposition = NULL;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD)
    {
      soup_message_headers_append (headers, "Allow", "GET, HEAD");
      soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
      return;
    }
  if (!request_is_authenticated (self, msg))
    {
      count_unauthenticated (self);
      respond_text (msg, SOUP_STATUS_UNAUTHORIZED, "text/plain; charset=UTF-8",
                    "Session expired.\n");
      return;
    }
  if (found == NULL)
    {
      respond_text (msg, SOUP_STATUS_NOT_FOUND, "text/plain; charset=UTF-8", "No such download.\n");
      return;
    }

  recording = &g_array_index (self->recordings.rows, SimRecording, GPOINTER_TO_UINT (found) - 1);
  audio = kc_sim_wav_generate (recording->duration,
                               g_str_hash (lookup_string (self, recording->id)));
  disposition = g_strdup_printf ("attachment; filename=\"%s.wav\"",
                                 lookup_string (self, recording->name));
  soup_message_headers_set_content_type (headers, "audio/wav", NULL);
  soup_message_headers_append (headers, "Content-Disposition", disposition);
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg), audio);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  self->download_count++;
}

static void
handle_control (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  KcSimServer *self = user_data;
  SoupMessageBody *request = soup_server_message_get_request_body (msg);
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (JsonNode) answer = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  if (!G_IS_INET_SOCKET_ADDRESS (remote)
      || !g_inet_address_get_is_loopback (
        g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote))))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_FORBIDDEN, NULL);
      return;
    }
  if (soup_server_message_get_method (msg) != SOUP_METHOD_POST)
    {
      soup_message_headers_append (soup_server_message_get_response_headers (msg), "Allow", "POST");
      soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
      return;
    }

  if (request->length == 0)
    g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "Empty request");
  else if (json_parser_load_from_data (parser, request->data, request->length, &error))
    {
      self->control_msg = msg;
      answer = kc_sim_server_control (self, json_parser_get_root (parser), &error);
      self->control_msg = NULL;
    }

  if (answer == NULL)
    {
      GString *body = g_string_new ("{");

      write_member_string (body, "error", error->message);
      g_string_append (body, "}");
      respond (msg, SOUP_STATUS_BAD_REQUEST, "application/json", body);
      return;
    }
  text = json_to_string (answer, FALSE);
  respond_text (msg, SOUP_STATUS_OK, "application/json", text);
}

/* "request-started" fires per request; a marker on the socket tells a new
 * connection from a kept-alive one. */
static void
on_request_started (SoupServer        *server,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  KcSimServer *self = user_data;
  GSocket *socket = soup_server_message_get_socket (msg);

  if (socket == NULL || g_object_get_data (G_OBJECT (socket), "kc-sim-server") == self)
    return;
  g_object_set_data (G_OBJECT (socket), "kc-sim-server", self);
  self->connection_count++;
}

/* --- GObject */

static void
kc_sim_server_finalize (GObject *object)
{
  KcSimServer *self = KC_SIM_SERVER (object);

  g_clear_handle_id (&self->traffic_source, g_source_remove);
  g_clear_handle_id (&self->expire_source, g_source_remove);
  g_clear_handle_id (&self->up_source, g_source_remove);
  g_clear_pointer (&self->traffic_calls, g_ptr_array_unref);
  g_clear_pointer (&self->traffic_rand, g_rand_free);
  g_clear_pointer (&self->fault_rand, g_rand_free);
  g_clear_pointer (&self->call_log, g_array_unref);
  g_clear_object (&self->certificate);
  /* Before the server goes: its connections would report the held messages
   * as disconnected to an object half torn down. */
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  if (self->server)
    {
      g_signal_handlers_disconnect_by_data (self->server, self);
      soup_server_disconnect (self->server);
    }
  g_clear_object (&self->server);

  g_clear_pointer (&self->username, g_free);
  g_clear_pointer (&self->password, g_free);
  g_clear_pointer (&self->download_url_override, g_free);
  g_clear_pointer (&self->sessions, g_hash_table_unref);
  g_clear_pointer (&self->calls, g_ptr_array_unref);
  sim_table_clear (&self->cdrs);
  sim_table_clear (&self->recordings);
  g_clear_pointer (&self->downloads, g_hash_table_unref);
  g_clear_pointer (&self->string_ids, g_hash_table_unref);
  g_clear_pointer (&self->strings, g_ptr_array_unref);
  g_clear_pointer (&self->string_chunk, g_string_chunk_free);
  g_clear_pointer (&self->request_counts, g_hash_table_unref);

  G_OBJECT_CLASS (kc_sim_server_parent_class)->finalize (object);
}

static void
kc_sim_server_class_init (KcSimServerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kc_sim_server_finalize;
}

static void traffic_call_free (gpointer data);

static void
kc_sim_server_init (KcSimServer *self)
{
  self->username = g_strdup (KC_SIM_DEFAULT_USERNAME);
  self->password = g_strdup (KC_SIM_DEFAULT_PASSWORD);
  self->record_calls = TRUE;
  self->slow_delay = 2.0;
  self->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->calls = g_ptr_array_new_with_free_func (sim_call_free);
  self->string_chunk = g_string_chunk_new (64 * 1024);
  self->strings = g_ptr_array_new ();
  self->string_ids = g_hash_table_new (g_str_hash, g_str_equal);
  sim_table_init (&self->cdrs, sizeof (SimCdr));
  sim_table_init (&self->recordings, sizeof (SimRecording));
  self->downloads = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->pending = g_ptr_array_new_with_free_func (pending_answer_free);
  self->request_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->traffic_calls = g_ptr_array_new_with_free_func (traffic_call_free);
  self->traffic_max_talk = KC_SIM_TRAFFIC_MAX_TALK;
  self->fault_rand = g_rand_new_with_seed (0);
  self->restart_down_for = -1;
  self->call_log = g_array_new (FALSE, FALSE, sizeof (SimCallLog));

  self->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (self->server, KC_SIM_ENDPOINT_PATH, handle_jsonrpc, self, NULL);
  soup_server_add_handler (self->server, DOWNLOAD_PATH, handle_download, self, NULL);
  soup_server_add_handler (self->server, CONTROL_PATH, handle_control, self, NULL);
  g_signal_connect (self->server, "request-started", G_CALLBACK (on_request_started), self);
}

KcSimServer *
kc_sim_server_new (void)
{
  return g_object_new (KC_TYPE_SIM_SERVER, NULL);
}

gboolean
kc_sim_server_listen (KcSimServer      *self,
                      guint16           port,
                      GTlsCertificate  *certificate,
                      GError          **error)
{
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, port);
  GSList *uris;

  g_return_val_if_fail (KC_IS_SIM_SERVER (self), FALSE);
  g_return_val_if_fail (self->port == 0, FALSE);

  if (certificate)
    {
      soup_server_set_tls_certificate (self->server, certificate);
      self->certificate = g_object_ref (certificate);
    }
  if (!soup_server_listen (self->server, address, certificate ? SOUP_SERVER_LISTEN_HTTPS : 0,
                           error))
    return FALSE;

  uris = soup_server_get_uris (self->server);
  self->port = (guint16) g_uri_get_port (uris->data);
  self->https = certificate != NULL;
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return TRUE;
}

guint16
kc_sim_server_get_port (KcSimServer *self)
{
  g_return_val_if_fail (KC_IS_SIM_SERVER (self), 0);
  return self->port;
}

char *
kc_sim_server_get_endpoint_url (KcSimServer *self)
{
  g_return_val_if_fail (KC_IS_SIM_SERVER (self), NULL);
  return g_strdup_printf ("%s://127.0.0.1:%u" KC_SIM_ENDPOINT_PATH, self->https ? "https" : "http",
                          self->port);
}

void
kc_sim_server_set_credentials (KcSimServer *self,
                               const char  *username,
                               const char  *password)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  g_free (self->username);
  g_free (self->password);
  self->username = g_strdup (username);
  self->password = g_strdup (password);
}

void
kc_sim_server_set_page_cap (KcSimServer *self,
                            guint        cap)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  self->page_cap = cap;
}

void
kc_sim_server_set_omit_call_ids (KcSimServer *self,
                                 gboolean     omit)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  self->omit_call_ids = omit;
}

void
kc_sim_server_set_numeric_status (KcSimServer *self,
                                  gboolean     numeric)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  self->numeric_status = numeric;
}

void
kc_sim_server_set_numbers_as_strings (KcSimServer *self,
                                      gboolean     as_strings)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  self->numbers_as_strings = as_strings;
}

/* --- Live calls */

const char *
kc_sim_server_add_call_started (KcSimServer *self,
                                const char  *from_number,
                                const char  *from_name,
                                const char  *to_number,
                                const char  *to_name,
                                gint64       age)
{
  SimCall *call;

  g_return_val_if_fail (KC_IS_SIM_SERVER (self), NULL);
  g_return_val_if_fail (from_number != NULL && to_number != NULL, NULL);

  call = g_new0 (SimCall, 1);
  call->start_us = g_get_real_time () - age * G_USEC_PER_SEC;
  /* Asterisk-style unique ids, "<start>.<serial>", as the PBX underneath uses */
  call->id = g_strdup_printf ("%" G_GINT64_FORMAT ".%u", call->start_us / G_USEC_PER_SEC,
                              ++self->call_serial);
  call->from_number = g_strdup (from_number);
  call->from_name = g_strdup (from_name);
  call->to_number = g_strdup (to_number);
  call->to_name = g_strdup (to_name);
  g_ptr_array_add (self->calls, call);
  return call->id;
}

const char *
kc_sim_server_add_call (KcSimServer *self,
                        const char  *from_number,
                        const char  *from_name,
                        const char  *to_number,
                        const char  *to_name)
{
  return kc_sim_server_add_call_started (self, from_number, from_name, to_number, to_name, 0);
}

gboolean
kc_sim_server_answer_call (KcSimServer *self,
                           const char  *call_id)
{
  SimCall *call;

  g_return_val_if_fail (KC_IS_SIM_SERVER (self), FALSE);

  call = find_call (self, call_id, NULL);
  if (call == NULL)
    return FALSE;
  if (call->answer_us == 0)
    call->answer_us = g_get_real_time ();
  return TRUE;
}

static void
log_call (KcSimServer *self,
          SimCall     *call,
          gint64       now)
{
  SimCallLog entry = {
    .id = intern (self, call->id),
    .from = intern (self, call->from_number),
    .to = intern (self, call->to_number),
    .start_us = call->start_us,
    .ring_end_us = call->answer_us ? call->answer_us : now,
    .ringing_polls = call->ringing_polls,
    .ringing_requests = call->ringing_requests,
    .answered = call->answer_us != 0,
  };

  g_array_append_val (self->call_log, entry);
}

static void
add_cdr_row (KcSimServer    *self,
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
    .from = intern (self, from_number),
    .to = intern (self, to_number),
    .call_duration = (guint32) CLAMP (call_duration, 0, G_MAXUINT32),
    .answered_duration = (guint32) CLAMP (answered_duration, 0, G_MAXUINT32),
    .status = (guint8) status,
  };

  g_array_append_val (self->cdrs.rows, cdr);
}

static void
add_recording_row (KcSimServer *self,
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
  recording.id = intern (self, id);
  recording.name = intern (self, name->str);
  recording.extension = intern (self, extension);
  recording.caller_id = intern (self, caller_id);
  recording.duration = (guint32) CLAMP (duration, 0, G_MAXUINT32);
  g_array_append_val (self->recordings.rows, recording);
  g_string_free (name, TRUE);
}

gboolean
kc_sim_server_end_call (KcSimServer    *self,
                        const char     *call_id,
                        KcSimCdrStatus  unanswered_status)
{
  gint64 now = g_get_real_time ();
  gint64 start, talk = 0;
  SimCall *call;
  guint position;

  g_return_val_if_fail (KC_IS_SIM_SERVER (self), FALSE);

  call = find_call (self, call_id, &position);
  if (call == NULL)
    return FALSE;

  start = call->start_us / G_USEC_PER_SEC;
  if (call->answer_us)
    talk = (now - call->answer_us) / G_USEC_PER_SEC;
  add_cdr_row (self, intern (self, call->id), start, call->from_number, call->to_number,
               call->answer_us ? KC_SIM_CDR_ANSWERED : unanswered_status,
               (now - call->start_us) / G_USEC_PER_SEC, talk);

  if (call->answer_us && self->record_calls)
    {
      gboolean outgoing = is_extension (call->from_number)
                          && strlen (call->from_number) <= strlen (call->to_number);
      g_autofree char *recording_id = g_strdup_printf ("rec-%s", call->id);

      add_recording_row (self, recording_id, outgoing ? call->from_number : call->to_number,
                         outgoing ? call->to_number : call->from_number,
                         call->answer_us / G_USEC_PER_SEC, MAX (talk, 1));
    }

  log_call (self, call, now);
  g_ptr_array_remove_index (self->calls, position);
  return TRUE;
}

guint
kc_sim_server_get_n_active_calls (KcSimServer *self)
{
  g_return_val_if_fail (KC_IS_SIM_SERVER (self), 0);
  return self->calls->len;
}

/* --- History and recordings */

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

  add_cdr_row (self, id ? intern (self, id) : NO_STRING, timestamp, from_number, to_number, status,
               call_duration, answered_duration);
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
      const char *prefix_digits = mobile_prefixes[i % G_N_ELEMENTS (mobile_prefixes)];
      g_autofree char *number = g_strdup_printf ("%s%07u", prefix_digits, mix (i + 1) % 10000000);
      mobiles[i] = intern (self, number);
    }
  for (guint i = 0; i < G_N_ELEMENTS (extensions); i++)
    {
      g_autofree char *number = g_strdup_printf ("%u", 1001 + i);
      extensions[i] = intern (self, number);
    }
  prefix_id = intern (self, prefix);

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

              add_recording_row (self, recording_id, lookup_string (self, extension),
                                 lookup_string (self, mobile), cdr->timestamp + ring, talk);
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

  add_recording_row (self, id, extension, caller_id, started, duration);
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

/* --- Sessions and faults */

void
kc_sim_server_expire_sessions (KcSimServer *self)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  g_hash_table_remove_all (self->sessions);
  self->expiry_count++;
}

void
kc_sim_server_inject_fault (KcSimServer *self,
                            KcSimFault   fault,
                            guint        count)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  g_return_if_fail (fault <= KC_SIM_FAULT_SLOW);
  self->fault = fault;
  self->fault_remaining = fault == KC_SIM_FAULT_NONE ? 0 : count;
}

void
kc_sim_server_set_slow_delay (KcSimServer *self,
                              double       seconds)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  g_return_if_fail (seconds >= 0);
  self->slow_delay = seconds;
}

void
kc_sim_server_set_fault_rate (KcSimServer *self,
                              KcSimFault   fault,
                              double       rate)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  g_return_if_fail (fault > KC_SIM_FAULT_NONE && fault <= KC_SIM_FAULT_SLOW);
  g_return_if_fail (rate >= 0 && rate <= 1);
  self->fault_rates[fault] = rate;
}

void
kc_sim_server_set_fault_seed (KcSimServer *self,
                              guint32      seed)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  g_rand_set_seed (self->fault_rand, seed);
}

guint
kc_sim_server_get_fault_count (KcSimServer *self,
                               KcSimFault   fault)
{
  g_return_val_if_fail (KC_IS_SIM_SERVER (self), 0);
  g_return_val_if_fail (fault <= KC_SIM_FAULT_SLOW, 0);
  return self->fault_counts[fault];
}

static gboolean
on_expire_tick (gpointer data)
{
  KcSimServer *self = data;

  kc_sim_server_expire_sessions (self);
  return G_SOURCE_CONTINUE;
}

void
kc_sim_server_set_expire_every (KcSimServer *self,
                                double       seconds)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  g_return_if_fail (seconds >= 0);

  self->expire_every = seconds;
  g_clear_handle_id (&self->expire_source, g_source_remove);
  if (seconds > 0)
    self->expire_source = g_timeout_add ((guint) MAX (seconds * 1000, 1), on_expire_tick, self);
}

/* --- Restart */

static gboolean
listen_again (KcSimServer  *self,
              GError      **error)
{
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, self->port);

  return soup_server_listen (self->server, address,
                             self->certificate ? SOUP_SERVER_LISTEN_HTTPS : 0, error);
}

static gboolean
on_up_again (gpointer data)
{
  KcSimServer *self = data;
  g_autoptr (GError) error = NULL;

  self->up_source = 0;
  /* The old listening socket is closed, and bound with SO_REUSEADDR: the
   * port is ours again unless something else took it meanwhile. */
  if (!listen_again (self, &error))
    {
      g_warning ("The simulator cannot listen on port %u again: %s", self->port, error->message);
      return G_SOURCE_REMOVE;
    }
  self->down = FALSE;
  return G_SOURCE_REMOVE;
}

gboolean
kc_sim_server_restart (KcSimServer *self,
                       double       down_for)
{
  g_return_val_if_fail (KC_IS_SIM_SERVER (self), FALSE);
  g_return_val_if_fail (down_for >= 0, FALSE);
  g_return_val_if_fail (self->port != 0, FALSE);

  if (self->down)
    return FALSE;
  self->down = TRUE;
  self->restart_count++;

  /* Held answers die with their connections */
  g_ptr_array_set_size (self->pending, 0);
  soup_server_disconnect (self->server);

  g_hash_table_remove_all (self->sessions);
  g_hash_table_remove_all (self->downloads);
  while (self->calls->len > 0)
    {
      SimCall *call = g_ptr_array_index (self->calls, 0);
      g_autofree char *id = g_strdup (call->id);

      kc_sim_server_end_call (self, id, KC_SIM_CDR_NO_ANSWER);
    }

  self->up_source = g_timeout_add ((guint) (down_for * 1000), on_up_again, self);
  return TRUE;
}

gboolean
kc_sim_server_is_down (KcSimServer *self)
{
  g_return_val_if_fail (KC_IS_SIM_SERVER (self), FALSE);
  return self->down;
}

guint
kc_sim_server_get_restart_count (KcSimServer *self)
{
  g_return_val_if_fail (KC_IS_SIM_SERVER (self), 0);
  return self->restart_count;
}

/* --- Ground truth */

static guint
count_digits (const char *number)
{
  guint n = 0;

  for (const char *p = number; *p; p++)
    if (g_ascii_isdigit (*p))
      n++;
  return n;
}

/* Kerio CTI's rule (kc_classify_call): with an extension, only calls to it
 * (incoming) or from it (outgoing) are its own; without one, a caller with
 * more digits than an extension has is outside. Untracked calls still get
 * the number rule's direction, as the history gives them. */
static const char *
classify (const char *from,
          const char *to,
          const char *extension,
          guint       extension_digits,
          gboolean   *tracked)
{
  *tracked = TRUE;
  if (extension && *extension)
    {
      if (strcmp (to, extension) == 0)
        return "kiruvchi";
      if (strcmp (from, extension) == 0)
        return "chiquvchi";
      *tracked = FALSE;
    }
  return count_digits (from) > extension_digits ? "kiruvchi" : "chiquvchi";
}

static const char *
status_name (guint kerio_status)
{
  switch (kerio_status)
    {
    case KC_SIM_CDR_ANSWERED:
      return "javob berildi";
    case KC_SIM_CDR_NO_ANSWER:
    case KC_SIM_CDR_VOICEMAIL:
      return "javobsiz";
    case KC_SIM_CDR_BUSY:
      return "band";
    default:
      return "xatolik";
    }
}

static void
add_call_truth (JsonBuilder *builder,
                const char  *id,
                const char  *from,
                const char  *to,
                const char  *extension,
                guint        extension_digits,
                gboolean     ended,
                gboolean     answered,
                gint64       rang_us,
                guint        ringing_polls,
                guint        ringing_requests)
{
  gboolean tracked;
  const char *direction = classify (from, to, extension, extension_digits, &tracked);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, id);
  json_builder_set_member_name (builder, "from");
  json_builder_add_string_value (builder, from);
  json_builder_set_member_name (builder, "to");
  json_builder_add_string_value (builder, to);
  json_builder_set_member_name (builder, "direction");
  json_builder_add_string_value (builder, direction);
  json_builder_set_member_name (builder, "tracked");
  json_builder_add_boolean_value (builder, tracked);
  json_builder_set_member_name (builder, "ended");
  json_builder_add_boolean_value (builder, ended);
  json_builder_set_member_name (builder, "answered");
  json_builder_add_boolean_value (builder, answered);
  json_builder_set_member_name (builder, "rangMs");
  json_builder_add_int_value (builder, MAX (rang_us, 0) / 1000);
  json_builder_set_member_name (builder, "ringingPolls");
  json_builder_add_int_value (builder, ringing_polls);
  json_builder_set_member_name (builder, "ringingRequests");
  json_builder_add_int_value (builder, ringing_requests);
  json_builder_end_object (builder);
}

JsonNode *
kc_sim_server_get_ground_truth (KcSimServer *self,
                                const char  *extension,
                                guint        extension_digits)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  gint64 now = g_get_real_time ();

  g_return_val_if_fail (KC_IS_SIM_SERVER (self), NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "cdrs");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->cdrs.rows->len; i++)
    {
      const SimCdr *cdr = &g_array_index (self->cdrs.rows, SimCdr, i);
      const char *from = lookup_string (self, cdr->from);
      const char *to = lookup_string (self, cdr->to);
      gboolean tracked;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      if (cdr->id != NO_STRING)
        {
          g_autofree char *id = cdr_id (self, cdr);

          json_builder_add_string_value (builder, id);
        }
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "timestamp");
      json_builder_add_int_value (builder, cdr->timestamp);
      json_builder_set_member_name (builder, "from");
      json_builder_add_string_value (builder, from);
      json_builder_set_member_name (builder, "to");
      json_builder_add_string_value (builder, to);
      json_builder_set_member_name (builder, "kerioStatus");
      json_builder_add_int_value (builder, cdr->status);
      json_builder_set_member_name (builder, "status");
      json_builder_add_string_value (builder, status_name (cdr->status));
      json_builder_set_member_name (builder, "direction");
      json_builder_add_string_value (builder,
                                     classify (from, to, extension, extension_digits, &tracked));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "calls");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->call_log->len; i++)
    {
      const SimCallLog *entry = &g_array_index (self->call_log, SimCallLog, i);

      add_call_truth (builder, lookup_string (self, entry->id), lookup_string (self, entry->from),
                      lookup_string (self, entry->to), extension, extension_digits, TRUE,
                      entry->answered, entry->ring_end_us - entry->start_us,
                      entry->ringing_polls, entry->ringing_requests);
    }
  for (guint i = 0; i < self->calls->len; i++)
    {
      const SimCall *call = g_ptr_array_index (self->calls, i);

      add_call_truth (builder, call->id, call->from_number, call->to_number, extension,
                      extension_digits, FALSE, call->answer_us != 0,
                      (call->answer_us ? call->answer_us : now) - call->start_us,
                      call->ringing_polls, call->ringing_requests);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* --- Counters */

guint
kc_sim_server_get_request_count (KcSimServer *self,
                                 const char  *method)
{
  g_return_val_if_fail (KC_IS_SIM_SERVER (self), 0);
  return GPOINTER_TO_UINT (g_hash_table_lookup (self->request_counts, method));
}

guint
kc_sim_server_get_unauthenticated_count (KcSimServer *self)
{
  g_return_val_if_fail (KC_IS_SIM_SERVER (self), 0);
  return self->unauthenticated_count;
}

guint
kc_sim_server_get_download_count (KcSimServer *self)
{
  g_return_val_if_fail (KC_IS_SIM_SERVER (self), 0);
  return self->download_count;
}

guint
kc_sim_server_get_connection_count (KcSimServer *self)
{
  g_return_val_if_fail (KC_IS_SIM_SERVER (self), 0);
  return self->connection_count;
}

/* --- Generated traffic */

static void
traffic_call_free (gpointer data)
{
  TrafficCall *call = data;

  g_clear_handle_id (&call->source, g_source_remove);
  g_free (call->call_id);
  g_free (call);
}

static guint
random_ms (GRand  *rand,
           double  min_seconds,
           double  max_seconds)
{
  return (guint) (g_rand_double_range (rand, min_seconds, max_seconds) * 1000);
}

static gboolean
traffic_call_step (gpointer data)
{
  TrafficCall *call = data;
  KcSimServer *self = call->self;

  call->source = 0;
  /* The call may have been ended by hand meanwhile; then it is simply gone */
  if (call->outcome == KC_SIM_CDR_ANSWERED && call->talk_ms > 0
      && kc_sim_server_answer_call (self, call->call_id))
    {
      call->source = g_timeout_add (call->talk_ms, traffic_call_step, call);
      call->talk_ms = 0;
      return G_SOURCE_REMOVE;
    }
  kc_sim_server_end_call (self, call->call_id, call->outcome);
  g_ptr_array_remove_fast (self->traffic_calls, call);
  return G_SOURCE_REMOVE;
}

static void
traffic_start_call (KcSimServer *self)
{
  GRand *rand = self->traffic_rand;
  guint extension_index = g_rand_int_range (rand, 0, G_N_ELEMENTS (operator_names));
  g_autofree char *extension = g_strdup_printf ("%u", 1001 + extension_index);
  g_autofree char *mobile = g_strdup_printf ("%s%07d",
                                             mobile_prefixes[g_rand_int_range (
                                               rand, 0, G_N_ELEMENTS (mobile_prefixes))],
                                             g_rand_int_range (rand, 0, 10000000));
  const char *operator_name = operator_names[extension_index];
  const char *caller_name = NULL;
  TrafficCall *call = g_new0 (TrafficCall, 1);
  guint outcome = g_rand_int_range (rand, 0, 100);
  guint ring_ms;

  if (g_rand_int_range (rand, 0, 100) < 50)
    caller_name = caller_names[g_rand_int_range (rand, 0, G_N_ELEMENTS (caller_names))];

  call->self = self;
  if (g_rand_int_range (rand, 0, 100) < 70)
    call->call_id = g_strdup (kc_sim_server_add_call (self, mobile, caller_name, extension,
                                                      operator_name));
  else
    call->call_id = g_strdup (kc_sim_server_add_call (self, extension, operator_name, mobile,
                                                      caller_name));

  ring_ms = random_ms (rand, 1, 15);
  if (outcome < 60)
    {
      call->outcome = KC_SIM_CDR_ANSWERED;
      /* One draw whatever the range, so a seed plays the same calls */
      call->talk_ms = random_ms (rand, KC_SIM_TRAFFIC_MIN_TALK, self->traffic_max_talk);
    }
  else if (outcome < 85)
    call->outcome = KC_SIM_CDR_NO_ANSWER;
  else if (outcome < 95)
    {
      call->outcome = KC_SIM_CDR_BUSY;
      ring_ms = random_ms (rand, 2, 5);
    }
  else
    {
      call->outcome = KC_SIM_CDR_FAILED;
      ring_ms = random_ms (rand, 2, 3);
    }

  call->source = g_timeout_add (ring_ms, traffic_call_step, call);
  g_ptr_array_add (self->traffic_calls, call);
}

/* Calls arrive as a Poisson process: exponential gaps around the mean rate */
static gboolean
traffic_tick (gpointer data)
{
  KcSimServer *self = data;
  double gap = -log (1.0 - g_rand_double (self->traffic_rand)) * 60.0 / self->traffic_rate;

  /* Nobody can call a PBX that is rebooting */
  if (!self->down)
    traffic_start_call (self);
  self->traffic_source = g_timeout_add ((guint) CLAMP (gap * 1000, 1, 3600 * 1000), traffic_tick,
                                        self);
  return G_SOURCE_REMOVE;
}

void
kc_sim_server_start_traffic (KcSimServer *self,
                             double       calls_per_minute,
                             guint32      seed)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));

  kc_sim_server_stop_traffic (self);
  if (calls_per_minute <= 0)
    return;
  g_clear_pointer (&self->traffic_rand, g_rand_free);
  self->traffic_rand = g_rand_new_with_seed (seed);
  self->traffic_rate = calls_per_minute;
  self->traffic_source = g_timeout_add (0, traffic_tick, self);
}

void
kc_sim_server_set_traffic_max_talk (KcSimServer *self,
                                    double       seconds)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  g_return_if_fail (seconds >= KC_SIM_TRAFFIC_MIN_TALK);

  self->traffic_max_talk = seconds;
}

void
kc_sim_server_stop_traffic (KcSimServer *self)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  /* Calls already under way finish on their own, as they would on a PBX */
  g_clear_handle_id (&self->traffic_source, g_source_remove);
}

/* --- Control */

static gboolean
parse_fault_name (const char *name,
                  KcSimFault *out)
{
  for (guint i = 0; i < G_N_ELEMENTS (fault_names); i++)
    if (g_strcmp0 (name, fault_names[i].name) == 0)
      {
        *out = fault_names[i].fault;
        return TRUE;
      }
  return FALSE;
}

static const char *
require_string (JsonObject  *request,
                const char  *name,
                GError     **error)
{
  const char *value = object_get_string (request, name);

  if (value == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "'%s' must be a string", name);
  return value;
}

static JsonNode *
empty_object (void)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, json_object_new ());
  return node;
}

static JsonNode *
control_stats (KcSimServer *self)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  GHashTableIter iter;
  gpointer key, value;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "requests");
  json_builder_begin_object (builder);
  g_hash_table_iter_init (&iter, self->request_counts);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      json_builder_set_member_name (builder, key);
      json_builder_add_int_value (builder, GPOINTER_TO_UINT (value));
    }
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "unauthenticated");
  json_builder_add_int_value (builder, self->unauthenticated_count);
  json_builder_set_member_name (builder, "cdrs");
  json_builder_add_int_value (builder, self->cdrs.rows->len);
  json_builder_set_member_name (builder, "activeCalls");
  json_builder_add_int_value (builder, self->calls->len);
  json_builder_set_member_name (builder, "recordings");
  json_builder_add_int_value (builder, self->recordings.rows->len);
  json_builder_set_member_name (builder, "downloads");
  json_builder_add_int_value (builder, self->download_count);
  json_builder_set_member_name (builder, "connections");
  json_builder_add_int_value (builder, self->connection_count);
  json_builder_set_member_name (builder, "faults");
  json_builder_begin_object (builder);
  for (guint i = 0; i < G_N_ELEMENTS (fault_names); i++)
    if (fault_names[i].fault != KC_SIM_FAULT_NONE)
      {
        json_builder_set_member_name (builder, fault_names[i].name);
        json_builder_add_int_value (builder, self->fault_counts[fault_names[i].fault]);
      }
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "expiries");
  json_builder_add_int_value (builder, self->expiry_count);
  json_builder_set_member_name (builder, "restarts");
  json_builder_add_int_value (builder, self->restart_count);
  json_builder_set_member_name (builder, "down");
  json_builder_add_boolean_value (builder, self->down);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static gboolean
object_get_double (JsonObject *object,
                   const char *name,
                   double     *out)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      *out = (double) json_node_get_int (node);
      return TRUE;
    case G_TYPE_DOUBLE:
      *out = json_node_get_double (node);
      return TRUE;
    default:
      return FALSE;
    }
}

static JsonNode *
control_fault_rates (KcSimServer  *self,
                     JsonObject   *object,
                     GError      **error)
{
  double rates[G_N_ELEMENTS (self->fault_rates)] = { 0 };
  double sum = 0, slow_delay = self->slow_delay;
  gint64 seed;

  for (guint i = 0; i < G_N_ELEMENTS (fault_names); i++)
    {
      KcSimFault fault = fault_names[i].fault;
      double rate = 0;

      if (fault == KC_SIM_FAULT_NONE || !json_object_has_member (object, fault_names[i].name))
        continue;
      if (!object_get_double (object, fault_names[i].name, &rate) || rate < 0 || rate > 1)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "'%s' must be a rate from 0 to 1", fault_names[i].name);
          return NULL;
        }
      rates[fault] = rate;
      sum += rate;
    }
  if (sum > 1)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "The rates add up to more than 1");
      return NULL;
    }
  if (json_object_has_member (object, "slowDelay")
      && (!object_get_double (object, "slowDelay", &slow_delay) || slow_delay < 0))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "'slowDelay' must be a number >= 0");
      return NULL;
    }

  memcpy (self->fault_rates, rates, sizeof rates);
  self->slow_delay = slow_delay;
  if (object_get_int (object, "seed", &seed))
    kc_sim_server_set_fault_seed (self, (guint32) seed);
  return empty_object ();
}

static gboolean
restart_later (gpointer data)
{
  KcSimServer *self = data;
  double down_for = self->restart_down_for;

  self->restart_down_for = -1;
  kc_sim_server_restart (self, down_for);
  return G_SOURCE_REMOVE;
}

/* From inside libsoup's own I/O callback the connection cannot be torn
 * down: the restart waits for the main loop. */
static void
on_control_finished (SoupServerMessage *msg,
                     gpointer           data)
{
  KcSimServer *self = data;

  g_signal_handlers_disconnect_by_func (msg, on_control_finished, data);
  g_idle_add_full (G_PRIORITY_DEFAULT, restart_later, g_object_ref (self), g_object_unref);
}

JsonNode *
kc_sim_server_control (KcSimServer  *self,
                       JsonNode     *request,
                       GError      **error)
{
  JsonObject *object;
  const char *action;

  g_return_val_if_fail (KC_IS_SIM_SERVER (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  object = request && JSON_NODE_HOLDS_OBJECT (request) ? json_node_get_object (request) : NULL;
  action = object_get_string (object, "action");
  if (action == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "The request must be an object with an \"action\"");
      return NULL;
    }

  if (strcmp (action, "addCall") == 0)
    {
      const char *from = require_string (object, "from", error);
      const char *to = from ? require_string (object, "to", error) : NULL;
      g_autoptr (JsonBuilder) builder = NULL;
      gint64 age = 0;

      if (to == NULL)
        return NULL;
      object_get_int (object, "age", &age);
      builder = json_builder_new ();
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (
        builder, kc_sim_server_add_call_started (self, from, object_get_string (object, "fromName"),
                                                 to, object_get_string (object, "toName"), age));
      json_builder_end_object (builder);
      return json_builder_get_root (builder);
    }

  if (strcmp (action, "answerCall") == 0 || strcmp (action, "endCall") == 0)
    {
      const char *id = require_string (object, "id", error);
      gint64 status = KC_SIM_CDR_NO_ANSWER;
      gboolean found;

      if (id == NULL)
        return NULL;
      object_get_int (object, "status", &status);
      if (action[0] == 'a')
        found = kc_sim_server_answer_call (self, id);
      else
        found = kc_sim_server_end_call (self, id, (KcSimCdrStatus) status);
      if (!found)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "No active call '%s'", id);
          return NULL;
        }
      return empty_object ();
    }

  if (strcmp (action, "addCdr") == 0)
    {
      const char *from = require_string (object, "from", error);
      const char *to = from ? require_string (object, "to", error) : NULL;
      gint64 timestamp, status = KC_SIM_CDR_ANSWERED, duration = 0, answered = 0;

      if (to == NULL)
        return NULL;
      if (!object_get_int (object, "timestamp", &timestamp))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "'timestamp' must be a number");
          return NULL;
        }
      object_get_int (object, "status", &status);
      object_get_int (object, "duration", &duration);
      object_get_int (object, "answered", &answered);
      kc_sim_server_add_cdr (self, object_get_string (object, "id"), timestamp, from, to,
                             (KcSimCdrStatus) status, duration, answered);
      return empty_object ();
    }

  if (strcmp (action, "expireSessions") == 0)
    {
      kc_sim_server_expire_sessions (self);
      return empty_object ();
    }

  if (strcmp (action, "fault") == 0)
    {
      KcSimFault fault;
      gint64 count = 1;

      if (!parse_fault_name (object_get_string (object, "fault"), &fault))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "'fault' must be one of none, html, notFound, http500, truncated, "
                               "malformed, wrongShape, huge, drop, slow");
          return NULL;
        }
      object_get_int (object, "count", &count);
      kc_sim_server_inject_fault (self, fault, (guint) CLAMP (count, 0, G_MAXUINT));
      return empty_object ();
    }

  if (strcmp (action, "faultRates") == 0)
    return control_fault_rates (self, object, error);

  if (strcmp (action, "expireEvery") == 0)
    {
      double seconds = 0;

      if (!object_get_double (object, "seconds", &seconds) || seconds < 0)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "'seconds' must be a number >= 0");
          return NULL;
        }
      kc_sim_server_set_expire_every (self, seconds);
      return empty_object ();
    }

  if (strcmp (action, "restart") == 0)
    {
      double down_for = 0;

      if (json_object_has_member (object, "downFor")
          && (!object_get_double (object, "downFor", &down_for) || down_for < 0))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "'downFor' must be a number >= 0");
          return NULL;
        }
      if (self->down || self->restart_down_for >= 0)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY, "Already restarting");
          return NULL;
        }
      /* Over HTTP, the answer must leave before the connection it travels
       * on is closed. */
      if (self->control_msg)
        {
          self->restart_down_for = down_for;
          g_signal_connect (self->control_msg, "finished", G_CALLBACK (on_control_finished),
                            self);
        }
      else
        kc_sim_server_restart (self, down_for);
      return empty_object ();
    }

  if (strcmp (action, "traffic") == 0)
    {
      double rate = 0;
      double max_talk = KC_SIM_TRAFFIC_MAX_TALK;
      gint64 seed = 0;

      if (!object_get_double (object, "rate", &rate) || rate < 0)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "'rate' must be a number >= 0");
          return NULL;
        }
      if (json_object_has_member (object, "maxTalk")
          && (!object_get_double (object, "maxTalk", &max_talk)
              || max_talk < KC_SIM_TRAFFIC_MIN_TALK))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "'maxTalk' must be a number of seconds >= %d", KC_SIM_TRAFFIC_MIN_TALK);
          return NULL;
        }
      kc_sim_server_set_traffic_max_talk (self, max_talk);
      if (!object_get_int (object, "seed", &seed))
        seed = g_random_int ();
      if (rate > 0)
        kc_sim_server_start_traffic (self, rate, (guint32) seed);
      else
        kc_sim_server_stop_traffic (self);
      return empty_object ();
    }

  if (strcmp (action, "groundTruth") == 0)
    {
      gint64 digits = 4;

      object_get_int (object, "extensionDigits", &digits);
      return kc_sim_server_get_ground_truth (self, object_get_string (object, "extension"),
                                             (guint) CLAMP (digits, 0, G_MAXINT));
    }

  if (strcmp (action, "stats") == 0)
    return control_stats (self);

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "Unknown action '%s'", action);
  return NULL;
}
