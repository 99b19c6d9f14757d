/* kc-kerio-parse.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-kerio"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "kc-kerio-error.h"
#include "kc-kerio-parse.h"

/* json-glib parses recursively and overflows the stack on a few hundred
 * thousand nested brackets; real answers nest four or five levels deep. */
#define MAX_NESTING 256

/* A server message longer than this is cut: it ends up in a status line. */
#define MAX_MESSAGE_CHARS 300

static JsonNode *
get_member (JsonObject *object,
            const char *member)
{
  if (object == NULL || member == NULL)
    return NULL;
  return json_object_get_member (object, member);
}

static JsonObject *
get_object_member (JsonObject *object,
                   const char *member)
{
  JsonNode *node = get_member (object, member);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static JsonArray *
get_array_member (JsonObject *object,
                  const char *member)
{
  JsonNode *node = get_member (object, member);

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static gboolean
double_to_int (double  value,
               gint64 *out)
{
  /* Both bounds are exact powers of two, so the comparison is exact and the
   * conversion below cannot overflow. */
  if (!isfinite (value) || value < -9223372036854775808.0 || value >= 9223372036854775808.0)
    return FALSE;
  *out = (gint64) value;
  return TRUE;
}

static gboolean
string_to_int (const char *text,
               gint64     *out)
{
  g_autofree char *copy = g_strstrip (g_strdup (text));
  char *end = NULL;
  gint64 integer;
  double value;

  if (*copy == '\0')
    return FALSE;
  if (g_ascii_string_to_signed (copy, 10, G_MININT64, G_MAXINT64, &integer, NULL))
    {
      *out = integer;
      return TRUE;
    }
  value = g_ascii_strtod (copy, &end);
  if (end == copy || *end != '\0')
    return FALSE;
  return double_to_int (value, out);
}

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
      return double_to_int (json_node_get_double (node), out);
    case G_TYPE_BOOLEAN:
      *out = json_node_get_boolean (node) ? 1 : 0;
      return TRUE;
    case G_TYPE_STRING:
      return string_to_int (json_node_get_string (node), out);
    default:
      return FALSE;
    }
}

static char *
node_dup_string (JsonNode *node)
{
  gint64 integral;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return NULL;

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      /* json-glib lets a lone surrogate escape through as broken UTF-8 */
      return g_utf8_make_valid (json_node_get_string (node), -1);
    case G_TYPE_INT64:
      return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
    case G_TYPE_DOUBLE:
      {
        double value = json_node_get_double (node);
        char buffer[G_ASCII_DTOSTR_BUF_SIZE];

        /* 4.0 is the status "4", not "4.0" */
        if (double_to_int (value, &integral) && (double) integral == value)
          return g_strdup_printf ("%" G_GINT64_FORMAT, integral);
        /* 15 digits print 2.9 as "2.9", not as its binary neighbour */
        return g_strdup (g_ascii_formatd (buffer, sizeof buffer, "%.15g", value));
      }
    default:
      return NULL;
    }
}

gboolean
kc_kerio_json_get_int (JsonObject *object,
                       const char *member,
                       gint64     *out)
{
  gint64 value;

  if (!node_get_int (get_member (object, member), &value))
    return FALSE;
  if (out != NULL)
    *out = value;
  return TRUE;
}

char *
kc_kerio_json_dup_string (JsonObject *object,
                          const char *member)
{
  return node_dup_string (get_member (object, member));
}

/* Durations and times are never negative; a negative one is as good as
 * missing. */
static gint64
get_non_negative (JsonObject *object,
                  const char *member)
{
  gint64 value;

  if (!kc_kerio_json_get_int (object, member, &value) || value < 0)
    return -1;
  return value;
}

static gboolean
is_blank (const char *body,
          gsize       length)
{
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isspace (body[i]))
      return FALSE;
  return TRUE;
}

static gboolean
starts_with_tag (const char *body,
                 gsize       length)
{
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isspace (body[i]))
      return body[i] == '<';
  return FALSE;
}

static gboolean
contains_html_tag (const char *body,
                   gsize       length)
{
  static const char tag[] = "<html";
  const gsize tag_length = sizeof tag - 1;

  for (gsize i = 0; i + tag_length <= length; i++)
    if (body[i] == '<' && g_ascii_strncasecmp (body + i, tag, tag_length) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
nesting_is_sane (const char *body,
                 gsize       length)
{
  gboolean in_string = FALSE;
  guint depth = 0;

  for (gsize i = 0; i < length; i++)
    {
      char c = body[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        {
          if (++depth > MAX_NESTING)
            return FALSE;
        }
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
    }
  return TRUE;
}

static char *
shorten (char *text)
{
  g_autofree char *shortened = NULL;

  if (g_utf8_strlen (text, -1) <= MAX_MESSAGE_CHARS)
    return text;
  shortened = g_utf8_substring (text, 0, MAX_MESSAGE_CHARS);
  g_free (text);
  return g_strconcat (shortened, "…", NULL);
}

/* Kerio sends messages like "Value %1 is too long" with the values in
 * data.messageParameters.positionalParameters. */
static char *
format_server_message (JsonObject *error_object)
{
  JsonNode *message_node = get_member (error_object, "message");
  JsonObject *data = get_object_member (error_object, "data");
  JsonArray *parameters = get_array_member (get_object_member (data, "messageParameters"),
                                            "positionalParameters");
  g_autofree char *message = NULL;
  GString *text;

  if (message_node == NULL || !JSON_NODE_HOLDS_VALUE (message_node)
      || json_node_get_value_type (message_node) != G_TYPE_STRING)
    return NULL;
  message = node_dup_string (message_node);

  text = g_string_new (NULL);
  for (const char *p = message; *p != '\0'; p++)
    {
      guint index = (guint) (p[1] - '1');

      if (p[0] == '%' && p[1] >= '1' && p[1] <= '9' && parameters != NULL
          && index < json_array_get_length (parameters))
        {
          g_autofree char *value = node_dup_string (json_array_get_element (parameters, index));

          g_string_append (text, value != NULL ? value : "");
          p++;
        }
      else
        g_string_append_c (text, *p);
    }
  return shorten (g_string_free (text, FALSE));
}

static void
set_rpc_error (JsonNode  *error_node,
               GError   **error)
{
  g_autofree char *message = NULL;
  gboolean has_code = FALSE;
  gint64 code = 0;

  if (JSON_NODE_HOLDS_OBJECT (error_node))
    {
      JsonObject *object = json_node_get_object (error_node);

      has_code = kc_kerio_json_get_int (object, "code", &code);
      message = format_server_message (object);
    }
  else
    message = node_dup_string (error_node);

  if (message == NULL || *message == '\0')
    {
      g_free (message);
      message = g_strdup (_("no details given"));
    }
  else
    message = shorten (message);

  if (has_code && code == KC_KERIO_RPC_SESSION_EXPIRED)
    g_set_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_SESSION_EXPIRED,
                 _("The session on the PBX has expired (%s)"), message);
  else if (has_code)
    g_set_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_RPC,
                 _("The PBX reported an error: %s (code %lld)"), message, (long long) code);
  else
    g_set_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_RPC,
                 _("The PBX reported an error: %s"), message);
}

static void
set_not_kerio_error (GError **error)
{
  g_set_error_literal (error, KC_KERIO_ERROR, KC_KERIO_ERROR_NOT_KERIO,
                       _("The server's answer is not JSON-RPC: this does not look like a "
                         "Kerio Operator API"));
}

JsonNode *
kc_kerio_parse_response (const char  *body,
                         gsize        length,
                         GError     **error)
{
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GError) json_error = NULL;
  JsonObject *object;
  JsonNode *error_node;
  JsonNode *result_node;
  JsonArray *errors;

  if (body == NULL)
    length = 0;

  if (length > KC_KERIO_MAX_BODY_SIZE)
    {
      g_set_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_TOO_LARGE,
                   _("The server's answer is too large (over %d MiB)"),
                   KC_KERIO_MAX_BODY_SIZE / (1024 * 1024));
      return NULL;
    }
  if (is_blank (body, length))
    {
      g_set_error_literal (error, KC_KERIO_ERROR, KC_KERIO_ERROR_MALFORMED,
                           _("The server's answer was empty"));
      return NULL;
    }
  if (starts_with_tag (body, length))
    {
      g_set_error_literal (error, KC_KERIO_ERROR, KC_KERIO_ERROR_NOT_KERIO,
                           _("The server answered with a web page: this does not look like a "
                             "Kerio Operator API"));
      return NULL;
    }
  if (!nesting_is_sane (body, length))
    {
      g_set_error_literal (error, KC_KERIO_ERROR, KC_KERIO_ERROR_MALFORMED,
                           _("The server's answer is not valid JSON (it is nested too deeply)"));
      return NULL;
    }

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, body, (gssize) length, &json_error))
    {
      /* Only looked for when the JSON is broken: a valid answer may well carry
       * "<html" inside a string. */
      if (contains_html_tag (body, length))
        g_set_error_literal (error, KC_KERIO_ERROR, KC_KERIO_ERROR_NOT_KERIO,
                             _("The server answered with a web page: this does not look like a "
                               "Kerio Operator API"));
      else
        {
          /* json-glib quotes the offending token, broken UTF-8 and all */
          g_autofree char *detail = shorten (g_utf8_make_valid (json_error->message, -1));

          g_set_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_MALFORMED,
                       _("The server's answer was cut off or is not valid JSON (%s)"), detail);
        }
      return NULL;
    }

  root = json_parser_steal_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      set_not_kerio_error (error);
      return NULL;
    }
  object = json_node_get_object (root);

  error_node = get_member (object, "error");
  if (error_node != NULL && !JSON_NODE_HOLDS_NULL (error_node))
    {
      set_rpc_error (error_node, error);
      return NULL;
    }

  result_node = get_member (object, "result");
  if (result_node == NULL)
    {
      set_not_kerio_error (error);
      return NULL;
    }

  errors = JSON_NODE_HOLDS_OBJECT (result_node)
               ? get_array_member (json_node_get_object (result_node), "errors")
               : NULL;
  if (errors != NULL && json_array_get_length (errors) > 0)
    {
      set_rpc_error (json_array_get_element (errors, 0), error);
      return NULL;
    }

  return json_node_copy (result_node);
}

/* The rows of a *.get result: result.member must be an array. */
static JsonArray *
get_rows (JsonNode    *result,
          const char  *member,
          gint64      *total_items,
          const char  *shape_message,
          GError     **error)
{
  JsonObject *object = NULL;
  JsonArray *rows = NULL;
  gint64 total;

  if (result != NULL && JSON_NODE_HOLDS_OBJECT (result))
    object = json_node_get_object (result);
  rows = get_array_member (object, member);
  if (rows == NULL)
    {
      g_set_error_literal (error, KC_KERIO_ERROR, KC_KERIO_ERROR_MALFORMED, shape_message);
      return NULL;
    }

  if (total_items != NULL)
    {
      if (!kc_kerio_json_get_int (object, "totalItems", &total) || total < 0)
        total = json_array_get_length (rows);
      *total_items = total;
    }
  return rows;
}

static void
read_party (JsonObject  *row,
            const char  *member,
            char       **number,
            char       **name)
{
  JsonObject *party = get_object_member (row, member);

  if (party != NULL)
    {
      *number = kc_kerio_json_dup_string (party, "NUMBER");
      *name = kc_kerio_json_dup_string (party, "NAME");
    }
  else
    {
      /* Some firmware flattens the party to its number */
      *number = kc_kerio_json_dup_string (row, member);
      *name = NULL;
    }
}

/* Rows that are not objects are skipped: one odd row must not hide the rest. */
static GPtrArray *
map_rows (JsonArray      *rows,
          gpointer      (*map_row) (JsonObject *row),
          GDestroyNotify  free_row)
{
  guint n_rows = json_array_get_length (rows);
  GPtrArray *mapped = g_ptr_array_new_full (n_rows, free_row);

  for (guint i = 0; i < n_rows; i++)
    {
      JsonNode *node = json_array_get_element (rows, i);

      if (JSON_NODE_HOLDS_OBJECT (node))
        g_ptr_array_add (mapped, map_row (json_node_get_object (node)));
    }
  return mapped;
}

static gpointer
map_active_call (JsonObject *row)
{
  KcActiveCall *call = g_new0 (KcActiveCall, 1);

  call->id = kc_kerio_json_dup_string (row, "ID");
  read_party (row, "FROM", &call->from_number, &call->from_name);
  read_party (row, "TO", &call->to_number, &call->to_name);
  call->status = kc_kerio_json_dup_string (row, "STATUS");
  call->answered_duration = get_non_negative (row, "ANSWERED_DURATION");
  call->call_duration = get_non_negative (row, "CALL_DURATION");
  return call;
}

static gpointer
map_cdr (JsonObject *row)
{
  KcCdr *cdr = g_new0 (KcCdr, 1);
  gint64 status;

  cdr->id = kc_kerio_json_dup_string (row, "ID");
  cdr->timestamp = get_non_negative (row, "TIMESTAMP");
  cdr->from_number = kc_kerio_json_dup_string (row, "FROM_NUM");
  cdr->from_name = kc_kerio_json_dup_string (row, "FROM_NAME");
  cdr->to_number = kc_kerio_json_dup_string (row, "TO_NUM");
  cdr->to_name = kc_kerio_json_dup_string (row, "TO_NAME");
  if (kc_kerio_json_get_int (row, "STATUS", &status) && status > 0 && status <= G_MAXINT)
    cdr->status = (int) status;
  cdr->call_duration = get_non_negative (row, "CALL_DURATION");
  cdr->answered_duration = get_non_negative (row, "ANSWERED_DURATION");
  return cdr;
}

static gpointer
map_recording (JsonObject *row)
{
  KcRecording *recording = g_new0 (KcRecording, 1);

  recording->id = kc_kerio_json_dup_string (row, "ID");
  recording->name = kc_kerio_json_dup_string (row, "NAME");
  recording->extension = kc_kerio_json_dup_string (row, "EXTENSION");
  recording->caller_id = kc_kerio_json_dup_string (row, "CALLER_ID");
  recording->duration = get_non_negative (row, "DURATION");
  recording->started = get_non_negative (row, "STARTED");
  return recording;
}

GPtrArray *
kc_kerio_parse_active_calls (JsonNode  *result,
                             GError   **error)
{
  JsonArray *rows = get_rows (result, "calls", NULL,
                              _("The PBX sent the list of active calls in a shape this program "
                                "does not know"),
                              error);

  return rows ? map_rows (rows, map_active_call, (GDestroyNotify) kc_active_call_free) : NULL;
}

GPtrArray *
kc_kerio_parse_cdrs (JsonNode  *result,
                     gint64    *total_items,
                     GError   **error)
{
  JsonArray *rows = get_rows (result, "callHistory", total_items,
                              _("The PBX sent the call history in a shape this program does not "
                                "know"),
                              error);

  return rows ? map_rows (rows, map_cdr, (GDestroyNotify) kc_cdr_free) : NULL;
}

GPtrArray *
kc_kerio_parse_recordings (JsonNode  *result,
                           gint64    *total_items,
                           GError   **error)
{
  JsonArray *rows = get_rows (result, "recordingList", total_items,
                              _("The PBX sent the list of recordings in a shape this program does "
                                "not know"),
                              error);

  return rows ? map_rows (rows, map_recording, (GDestroyNotify) kc_recording_free) : NULL;
}

KcFileDownload *
kc_kerio_parse_file_download (JsonNode  *result,
                              GError   **error)
{
  JsonObject *object = NULL;
  JsonObject *file_download;
  g_autofree char *url = NULL;
  KcFileDownload *download;

  if (result != NULL && JSON_NODE_HOLDS_OBJECT (result))
    object = json_node_get_object (result);
  file_download = get_object_member (object, "fileDownload");
  url = kc_kerio_json_dup_string (file_download, "url");
  if (url == NULL || *url == '\0')
    {
      g_set_error_literal (error, KC_KERIO_ERROR, KC_KERIO_ERROR_MALFORMED,
                           _("The PBX did not say where to download the recording from"));
      return NULL;
    }

  download = g_new0 (KcFileDownload, 1);
  download->url = g_steal_pointer (&url);
  download->name = kc_kerio_json_dup_string (file_download, "name");
  download->length = get_non_negative (file_download, "length");
  return download;
}
