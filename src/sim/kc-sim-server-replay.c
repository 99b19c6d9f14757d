/* kc-sim-server-replay.c: serving a capture back (kerio-sim --replay)
 *
 * A capture, as kerio-cti --capture writes it, is one JSON object per line:
 * {"time":"2026-12-07T19:30:58.123Z","method":"Status.getCalls",
 *  "params":{...},"status":200,"elapsedMs":12,"response":"<body>",...}
 * with status 0, an "error" and a null response when the request failed at
 * the transport.
 *
 * Session.login answers with a fresh session whatever the credentials, and
 * Session.logout with {}; every other method answers from the capture. The
 * replay clock starts at the first request: a method answers with its last
 * recorded answer whose time since the capture's first line is within the
 * clock, or with its first one when none is yet. CallHistory.get and
 * Recordings.get first look for an answer recorded for the same query
 * (start, limit and conditions).
 *
 * The history's absolute times move with the replay: TIMESTAMP and STARTED
 * in the rows answered are shifted by the whole seconds from the capture's
 * first line to the replay's first request, so that they agree with live
 * calls, whose start a client derives from now - CALL_DURATION; the same
 * members in a query's conditions are shifted back before they are
 * compared with the recorded queries.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-sim-server"

#include <string.h>

#include "kc-sim-server-private.h"

typedef struct
{
  gint64    at_us;    /* since the capture's first line */
  char     *method;
  JsonNode *params;   /* NULL when there were none */
  guint     status;   /* 0: the request failed at the transport */
  char     *response; /* NULL with status 0 */
} ReplayEntry;

struct _SimReplay
{
  GPtrArray *entries;  /* ReplayEntry, in the capture's order */
  gint64     first_us; /* the capture's first line */
  gint64     start_us; /* the replay's first request; 0 before it */
  gint64     shift;    /* seconds from the capture's times to the replay's */
};

static void
replay_entry_free (gpointer data)
{
  ReplayEntry *entry = data;

  g_free (entry->method);
  g_clear_pointer (&entry->params, json_node_unref);
  g_free (entry->response);
  g_free (entry);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ReplayEntry, replay_entry_free)

void
kc_sim_replay_free (SimReplay *replay)
{
  g_ptr_array_unref (replay->entries);
  g_free (replay);
}

static gboolean
parse_time (const char *text,
            gint64     *out)
{
  g_autoptr (GDateTime) time = text ? g_date_time_new_from_iso8601 (text, NULL) : NULL;

  if (time == NULL)
    return FALSE;
  *out = g_date_time_to_unix (time) * G_USEC_PER_SEC + g_date_time_get_microsecond (time);
  return TRUE;
}

/* One line of the capture, or NULL with the reason it cannot be served */
static ReplayEntry *
parse_line (const char  *line,
            gint64      *time_us,
            GError     **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (ReplayEntry) entry = NULL;
  JsonObject *object;
  JsonNode *params, *response;
  gint64 status;

  if (!json_parser_load_from_data (parser, line, -1, error))
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not a JSON object");
      return NULL;
    }
  object = json_node_get_object (json_parser_get_root (parser));
  if (!parse_time (kc_sim_object_get_string (object, "time"), time_us))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "no \"time\" in ISO 8601");
      return NULL;
    }
  if (kc_sim_object_get_string (object, "method") == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "no \"method\"");
      return NULL;
    }
  if (!kc_sim_object_get_int (object, "status", &status) || status < 0 || status > 999)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "no HTTP \"status\"");
      return NULL;
    }
  response = json_object_get_member (object, "response");
  if (status != 0 && kc_sim_object_get_string (object, "response") == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "no \"response\" text with a status");
      return NULL;
    }

  entry = g_new0 (ReplayEntry, 1);
  entry->method = g_strdup (kc_sim_object_get_string (object, "method"));
  entry->status = (guint) status;
  if (status != 0)
    entry->response = g_strdup (json_node_get_string (response));
  params = json_object_get_member (object, "params");
  if (params && JSON_NODE_HOLDS_OBJECT (params))
    entry->params = json_node_copy (params);
  return g_steal_pointer (&entry);
}

gboolean
kc_sim_server_load_replay (KcSimServer  *self,
                           const char   *path,
                           GError      **error)
{
  g_autofree char *contents = NULL;
  g_auto (GStrv) lines = NULL;
  SimReplay *replay;

  g_return_val_if_fail (KC_IS_SIM_SERVER (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (!g_file_get_contents (path, &contents, NULL, error))
    return FALSE;

  replay = g_new0 (SimReplay, 1);
  replay->entries = g_ptr_array_new_with_free_func (replay_entry_free);
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      g_autoptr (GError) line_error = NULL;
      ReplayEntry *entry;
      gint64 time_us;

      if (*g_strstrip (lines[i]) == '\0')
        continue;
      entry = parse_line (lines[i], &time_us, &line_error);
      if (entry == NULL)
        {
          g_warning ("%s: line %u skipped: %s", path, i + 1, line_error->message);
          continue;
        }
      if (replay->entries->len == 0)
        replay->first_us = time_us;
      entry->at_us = time_us - replay->first_us;
      g_ptr_array_add (replay->entries, entry);
    }

  if (replay->entries->len == 0)
    {
      kc_sim_replay_free (replay);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s holds no exchange to replay",
                   path);
      return FALSE;
    }
  g_clear_pointer (&self->replay, kc_sim_replay_free);
  self->replay = replay;
  return TRUE;
}

/* --- Matching a query */

/* A client derives a live call's start from now - CALL_DURATION, so the
 * times of a query about one call (the check of a missed call's CDR) come
 * out a second or so apart from one run to the next */
#define REPLAY_TIME_SLACK 2

static gboolean
is_time_member (const char *name)
{
  return name && (g_ascii_strcasecmp (name, "TIMESTAMP") == 0
                  || g_ascii_strcasecmp (name, "STARTED") == 0);
}

static JsonObject *
query_of (JsonObject *params)
{
  JsonNode *query = params ? json_object_get_member (params, "query") : NULL;

  return query && JSON_NODE_HOLDS_OBJECT (query) ? json_node_get_object (query) : NULL;
}

static gint64
query_int (JsonObject *query,
           const char *name,
           gint64      missing)
{
  gint64 value;

  return kc_sim_object_get_int (query, name, &value) ? value : missing;
}

static JsonArray *
query_conditions (JsonObject *query)
{
  JsonNode *node = query ? json_object_get_member (query, "conditions") : NULL;

  return node && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static gboolean
condition_matches (JsonNode *asked,
                   JsonNode *recorded,
                   gint64    shift)
{
  JsonObject *a = JSON_NODE_HOLDS_OBJECT (asked) ? json_node_get_object (asked) : NULL;
  JsonObject *r = JSON_NODE_HOLDS_OBJECT (recorded) ? json_node_get_object (recorded) : NULL;
  const char *field = kc_sim_object_get_string (a, "fieldName");
  JsonNode *asked_value, *recorded_value;
  gint64 asked_time, recorded_time;

  if (a == NULL || r == NULL || field == NULL || kc_sim_object_get_string (r, "fieldName") == NULL
      || g_ascii_strcasecmp (field, kc_sim_object_get_string (r, "fieldName")) != 0
      || g_strcmp0 (kc_sim_object_get_string (a, "comparator"),
                    kc_sim_object_get_string (r, "comparator")) != 0)
    return FALSE;
  asked_value = json_object_get_member (a, "value");
  recorded_value = json_object_get_member (r, "value");
  if (is_time_member (field) && kc_sim_node_get_int (asked_value, &asked_time)
      && kc_sim_node_get_int (recorded_value, &recorded_time))
    return ABS (asked_time - shift - recorded_time) <= REPLAY_TIME_SLACK;
  return asked_value && recorded_value && json_node_equal (asked_value, recorded_value);
}

static gboolean
query_matches (JsonObject *asked,
               JsonNode   *recorded_params,
               gint64      shift)
{
  JsonObject *recorded = query_of (recorded_params ? json_node_get_object (recorded_params) : NULL);
  JsonArray *asked_conditions = query_conditions (asked);
  JsonArray *recorded_conditions = query_conditions (recorded);
  guint n = asked_conditions ? json_array_get_length (asked_conditions) : 0;

  if (query_int (asked, "start", 0) != query_int (recorded, "start", 0)
      || query_int (asked, "limit", -1) != query_int (recorded, "limit", -1)
      || n != (recorded_conditions ? json_array_get_length (recorded_conditions) : 0))
    return FALSE;
  for (guint i = 0; i < n; i++)
    if (!condition_matches (json_array_get_element (asked_conditions, i),
                            json_array_get_element (recorded_conditions, i), shift))
      return FALSE;
  return TRUE;
}

/* The last answer of `method` recorded within the replay clock, else its
 * first; with `by_query`, among those recorded for the same `query` */
static const ReplayEntry *
find_answer (SimReplay  *replay,
             const char *method,
             gboolean    by_query,
             JsonObject *query,
             gint64      clock_us)
{
  const ReplayEntry *first = NULL, *last = NULL;

  for (guint i = 0; i < replay->entries->len; i++)
    {
      const ReplayEntry *entry = g_ptr_array_index (replay->entries, i);

      if (strcmp (entry->method, method) != 0
          || (by_query && !query_matches (query, entry->params, replay->shift)))
        continue;
      if (first == NULL)
        first = entry;
      if (entry->at_us <= clock_us)
        last = entry;
    }
  return last ? last : first;
}

/* --- Answering */

static void
shift_rows (JsonObject *result,
            gint64      shift)
{
  g_autoptr (GList) members = json_object_get_members (result);

  for (GList *l = members; l; l = l->next)
    {
      JsonNode *list = json_object_get_member (result, l->data);
      JsonArray *rows;

      if (!JSON_NODE_HOLDS_ARRAY (list))
        continue;
      rows = json_node_get_array (list);
      for (guint i = 0; i < json_array_get_length (rows); i++)
        {
          JsonNode *row = json_array_get_element (rows, i);
          g_autoptr (GList) names = NULL;

          if (!JSON_NODE_HOLDS_OBJECT (row))
            continue;
          names = json_object_get_members (json_node_get_object (row));
          for (GList *n = names; n; n = n->next)
            {
              JsonNode *value = json_object_get_member (json_node_get_object (row), n->data);
              gint64 time;

              if (!is_time_member (n->data) || !kc_sim_node_get_int (value, &time))
                continue;
              if (json_node_get_value_type (value) == G_TYPE_STRING)
                {
                  g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, time + shift);

                  json_node_set_string (value, text);
                }
              else
                json_node_set_int (value, time + shift);
            }
        }
    }
}

/* The recorded body with the history's times moved to the replay's, or as
 * recorded when it is not a JSON-RPC result */
static char *
shifted_body (const char *body,
              gint64      shift)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root, *result;

  if (shift == 0 || !json_parser_load_from_data (parser, body, -1, NULL))
    return g_strdup (body);
  root = json_parser_get_root (parser);
  result = JSON_NODE_HOLDS_OBJECT (root)
             ? json_object_get_member (json_node_get_object (root), "result")
             : NULL;
  if (result == NULL || !JSON_NODE_HOLDS_OBJECT (result))
    return g_strdup (body);
  shift_rows (json_node_get_object (result), shift);
  return json_to_string (root, FALSE);
}

static void
respond_recorded (KcSimServer       *self,
                  SoupServerMessage *msg,
                  const ReplayEntry *entry,
                  gboolean           history)
{
  g_autofree char *body = NULL;

  if (entry->status == 0)
    {
      kc_sim_send_rpc_answer (self, msg, KC_SIM_FAULT_DROP, g_string_new (NULL));
      return;
    }
  body = history ? shifted_body (entry->response, self->replay->shift)
                 : g_strdup (entry->response);
  /* The capture keeps no Content-Type: an error page is HTML */
  kc_sim_respond_text (msg, entry->status,
                       body[strspn (body, " \t\r\n")] == '<' ? "text/html; charset=UTF-8"
                                                              : JSON_RPC_TYPE,
                       body);
}

gboolean
kc_sim_replay_handle (KcSimServer       *self,
                      SoupServerMessage *msg,
                      const char        *method,
                      JsonObject        *params,
                      const char        *id_json)
{
  SimReplay *replay = self->replay;
  gint64 now = g_get_real_time ();
  gboolean history;
  const ReplayEntry *entry;

  if (replay->start_us == 0)
    {
      replay->start_us = now;
      /* Whole seconds, rounded, as the history counts them */
      replay->shift = (now - replay->first_us + G_USEC_PER_SEC / 2) / G_USEC_PER_SEC;
    }
  if (strcmp (method, "Session.login") == 0)
    return FALSE;

  if (strcmp (method, "Session.logout") == 0)
    {
      kc_sim_respond (msg, SOUP_STATUS_OK, JSON_RPC_TYPE,
                      kc_sim_rpc_envelope (id_json, "{}", NULL));
      return TRUE;
    }

  history = strcmp (method, "CallHistory.get") == 0 || strcmp (method, "Recordings.get") == 0;
  entry = history ? find_answer (replay, method, TRUE, query_of (params), now - replay->start_us)
                  : NULL;
  if (entry == NULL)
    entry = find_answer (replay, method, FALSE, NULL, now - replay->start_us);
  if (entry == NULL)
    {
      g_autoptr (GError) error = g_error_new (RPC_ERROR, RPC_METHOD_NOT_FOUND,
                                              "Method '%s' not found.", method);

      kc_sim_respond (msg, SOUP_STATUS_OK, JSON_RPC_TYPE,
                      kc_sim_rpc_envelope (id_json, NULL, error));
      return TRUE;
    }
  respond_recorded (self, msg, entry, history);
  return TRUE;
}
