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

/* Rows a page usually holds (the client asks for 500) */
#define PAGE_ROWS_HINT 500

typedef struct
{
  const char *name;
  gsize       length;
  JsonNode   *found;
} Lookup;

static void
match_member (JsonObject *object,
              const char *name,
              JsonNode   *node,
              gpointer    data)
{
  Lookup *lookup = data;

  if (lookup->found == NULL && strlen (name) == lookup->length
      && g_ascii_strcasecmp (name, lookup->name) == 0)
    lookup->found = node;
}

/* Firmware versions spell member names differently (ID/id, STATUS/status;
 * Kerio's own Extensions.get mixes guid/GUID), so names are matched without
 * regard to ASCII case. An object that holds a name in several spellings is
 * read by one rule: the spelling asked for wins; without it, the first
 * spelling in the object's order (json-glib keeps a member's first place
 * and its last value). The one-pass reader below refuses such objects and
 * leaves them to this rule. */
JsonNode *
kc_kerio_json_get_member (JsonObject *object,
                          const char *member)
{
  JsonNode *node;
  Lookup lookup;

  if (object == NULL || member == NULL)
    return NULL;
  node = json_object_get_member (object, member);
  if (node != NULL)
    return node;
  lookup = (Lookup) { member, strlen (member), NULL };
  json_object_foreach_member (object, match_member, &lookup);
  return lookup.found;
}

static JsonObject *
get_object_member (JsonObject *object,
                   const char *member)
{
  JsonNode *node = kc_kerio_json_get_member (object, member);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static JsonArray *
get_array_member (JsonObject *object,
                  const char *member)
{
  JsonNode *node = kc_kerio_json_get_member (object, member);

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

  if (!node_get_int (kc_kerio_json_get_member (object, member), &value))
    return FALSE;
  if (out != NULL)
    *out = value;
  return TRUE;
}

char *
kc_kerio_json_dup_string (JsonObject *object,
                          const char *member)
{
  return node_dup_string (kc_kerio_json_get_member (object, member));
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
  JsonNode *message_node = kc_kerio_json_get_member (error_object, "message");
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

  /* The envelope's names are JSON-RPC's, spelled as its specification
   * spells them; only what Kerio puts inside is matched without case. */
  error_node = json_object_get_member (object, "error");
  if (error_node != NULL && !JSON_NODE_HOLDS_NULL (error_node))
    {
      set_rpc_error (error_node, error);
      return NULL;
    }

  result_node = json_object_get_member (object, "result");
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
  JsonNode *node = kc_kerio_json_get_member (row, member);

  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *party = json_node_get_object (node);

      *number = kc_kerio_json_dup_string (party, "NUMBER");
      *name = kc_kerio_json_dup_string (party, "NAME");
    }
  else
    {
      /* Some firmware flattens the party to its number */
      *number = node_dup_string (node);
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

/* The number a directory row is for: TEL_NUM as Kerio's sample reads it,
 * or telNum, the other spelling its Extensions.get answers have used */
static char *
directory_number (JsonObject *row)
{
  char *number = kc_kerio_json_dup_string (row, "TEL_NUM");

  if (number == NULL)
    number = kc_kerio_json_dup_string (row, "telNum");
  if (number != NULL)
    g_strstrip (number);
  return number;
}

static gpointer
map_directory_entry (JsonObject *row)
{
  KcDirectoryEntry *entry = g_new0 (KcDirectoryEntry, 1);

  entry->number = directory_number (row);
  entry->name = kc_kerio_json_dup_string (row, "DESCRIPTION");
  if (entry->name != NULL && *g_strstrip (entry->name) == '\0')
    g_clear_pointer (&entry->name, g_free);
  return entry;
}

GPtrArray *
kc_kerio_parse_directory (JsonNode  *result,
                          GError   **error)
{
  JsonArray *rows = get_rows (result, "numberList", NULL,
                              _("The PBX sent its directory of numbers in a shape this program "
                                "does not know"),
                              error);
  GPtrArray *entries;

  if (rows == NULL)
    return NULL;
  entries = map_rows (rows, map_directory_entry, (GDestroyNotify) kc_directory_entry_free);
  /* A row without a number names nothing */
  for (guint i = entries->len; i > 0; i--)
    {
      const KcDirectoryEntry *entry = g_ptr_array_index (entries, i - 1);

      if (entry->number == NULL || *entry->number == '\0')
        g_ptr_array_remove_index (entries, i - 1);
    }
  return entries;
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

/* ------------------------------------------------------------------------ */
/* Pages read in one pass
 *
 * json-glib builds a tree of the whole answer, a node, a hash table and a
 * string per member: for a page of 500 CDRs that costs more than storing
 * them. The reader below walks the body once and fills the rows directly. It
 * only says yes to answers it can read exactly as the tree path would: strict
 * JSON (RFC 8259), no error members, none of the members it reads given
 * twice (in one spelling or two: names are matched without regard to case,
 * as in the tree path), integers that fit without rounding, no lone
 * surrogates nor \u0000. Anything else is left to the tree path, which also words every
 * error; so the two agree by construction, and the differential fuzzer
 * (tests/fuzz/fuzz-page.c) checks that the yes answers agree too. */

typedef enum
{
  FIELD_STRING,       /* char *, as kc_kerio_json_dup_string() */
  FIELD_NON_NEGATIVE, /* gint64, as get_non_negative() */
  FIELD_STATUS,       /* int, 1..G_MAXINT or 0 */
  FIELD_PARTY,        /* char * number and name, as read_party() */
} FieldKind;

typedef struct
{
  const char *name;
  guint8      length;
  guint8      kind;
  guint16     offset;
  guint16     name_offset; /* FIELD_PARTY */
} FieldSpec;

typedef struct
{
  const char      *rows_member;
  gsize            row_size;
  const FieldSpec *fields;
  guint            n_fields;
  GDestroyNotify   free_row;
  GPtrArray     *(*parse_tree) (JsonNode *result, gint64 *total_items, GError **error);
} PageSpec;

#define FIELD(name, kind, type, member) { name, sizeof name - 1, kind, G_STRUCT_OFFSET (type, member), 0 }
#define PARTY(name, type, number, party_name) \
  { name, sizeof name - 1, FIELD_PARTY, G_STRUCT_OFFSET (type, number), G_STRUCT_OFFSET (type, party_name) }

static const FieldSpec call_fields[] = {
  FIELD ("ID", FIELD_STRING, KcActiveCall, id),
  PARTY ("FROM", KcActiveCall, from_number, from_name),
  PARTY ("TO", KcActiveCall, to_number, to_name),
  FIELD ("STATUS", FIELD_STRING, KcActiveCall, status),
  FIELD ("ANSWERED_DURATION", FIELD_NON_NEGATIVE, KcActiveCall, answered_duration),
  FIELD ("CALL_DURATION", FIELD_NON_NEGATIVE, KcActiveCall, call_duration),
};

static const FieldSpec cdr_fields[] = {
  FIELD ("ID", FIELD_STRING, KcCdr, id),
  FIELD ("TIMESTAMP", FIELD_NON_NEGATIVE, KcCdr, timestamp),
  FIELD ("FROM_NUM", FIELD_STRING, KcCdr, from_number),
  FIELD ("FROM_NAME", FIELD_STRING, KcCdr, from_name),
  FIELD ("TO_NUM", FIELD_STRING, KcCdr, to_number),
  FIELD ("TO_NAME", FIELD_STRING, KcCdr, to_name),
  FIELD ("STATUS", FIELD_STATUS, KcCdr, status),
  FIELD ("CALL_DURATION", FIELD_NON_NEGATIVE, KcCdr, call_duration),
  FIELD ("ANSWERED_DURATION", FIELD_NON_NEGATIVE, KcCdr, answered_duration),
};

static const FieldSpec recording_fields[] = {
  FIELD ("ID", FIELD_STRING, KcRecording, id),
  FIELD ("NAME", FIELD_STRING, KcRecording, name),
  FIELD ("EXTENSION", FIELD_STRING, KcRecording, extension),
  FIELD ("CALLER_ID", FIELD_STRING, KcRecording, caller_id),
  FIELD ("DURATION", FIELD_NON_NEGATIVE, KcRecording, duration),
  FIELD ("STARTED", FIELD_NON_NEGATIVE, KcRecording, started),
};

static const PageSpec cdr_page = {
  "callHistory", sizeof (KcCdr), cdr_fields, G_N_ELEMENTS (cdr_fields),
  (GDestroyNotify) kc_cdr_free, kc_kerio_parse_cdrs,
};

static GPtrArray *
parse_active_calls_tree (JsonNode  *result,
                         gint64    *total_items,
                         GError   **error)
{
  return kc_kerio_parse_active_calls (result, error);
}

static const PageSpec call_page = {
  "calls", sizeof (KcActiveCall), call_fields, G_N_ELEMENTS (call_fields),
  (GDestroyNotify) kc_active_call_free, parse_active_calls_tree,
};

static const PageSpec recording_page = {
  "recordingList", sizeof (KcRecording), recording_fields, G_N_ELEMENTS (recording_fields),
  (GDestroyNotify) kc_recording_free, kc_kerio_parse_recordings,
};

void
kc_kerio_page_answer_free (KcKerioPageAnswer *answer)
{
  if (answer == NULL)
    return;
  g_clear_pointer (&answer->rows, g_ptr_array_unref);
  g_clear_pointer (&answer->first_row, g_bytes_unref);
  g_free (answer);
}

typedef struct
{
  const char *p;
  const char *end;
  guint       depth;
  GString    *scratch; /* strings with escapes, decoded */
  char        open[MAX_NESTING + 1];
} Reader;

typedef enum
{
  VALUE_NULL,
  VALUE_BOOLEAN,
  VALUE_INTEGER,
  VALUE_STRING,
  VALUE_OTHER, /* an object or an array */
} ValueKind;

typedef struct
{
  ValueKind   kind;
  gint64      integer;
  const char *text; /* VALUE_STRING: into the body or the scratch, not terminated */
  gsize       length;
} Value;

static inline void
skip_space (Reader *r)
{
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
    r->p++;
}

/* The next character after white space, or '\0' at the end (a NUL in the
 * body is not JSON either). */
static inline char
next_char (Reader *r)
{
  skip_space (r);
  return r->p < r->end ? *r->p : '\0';
}

static inline gboolean
expect (Reader *r,
        char    c)
{
  if (next_char (r) != c)
    return FALSE;
  r->p++;
  return TRUE;
}

static gboolean
read_hex4 (Reader   *r,
           gunichar *out)
{
  gunichar value = 0;

  if (r->end - r->p < 4)
    return FALSE;
  for (int i = 0; i < 4; i++)
    {
      int digit = g_ascii_xdigit_value (r->p[i]);

      if (digit < 0)
        return FALSE;
      value = (value << 4) | (gunichar) digit;
    }
  r->p += 4;
  *out = value;
  return TRUE;
}

/* From just after a backslash, appends the escaped character. json-glib lets
 * lone surrogates through as broken UTF-8 and cuts a string at \u0000; both
 * are left to it. */
static gboolean
read_escape (Reader  *r,
             GString *out)
{
  gunichar c, low;

  if (r->p >= r->end)
    return FALSE;
  switch (*r->p++)
    {
    case '"': g_string_append_c (out, '"'); return TRUE;
    case '\\': g_string_append_c (out, '\\'); return TRUE;
    case '/': g_string_append_c (out, '/'); return TRUE;
    case 'b': g_string_append_c (out, '\b'); return TRUE;
    case 'f': g_string_append_c (out, '\f'); return TRUE;
    case 'n': g_string_append_c (out, '\n'); return TRUE;
    case 'r': g_string_append_c (out, '\r'); return TRUE;
    case 't': g_string_append_c (out, '\t'); return TRUE;
    case 'u':
      if (!read_hex4 (r, &c) || c == 0 || (c >= 0xDC00 && c <= 0xDFFF))
        return FALSE;
      if (c >= 0xD800 && c <= 0xDBFF)
        {
          if (r->end - r->p < 2 || r->p[0] != '\\' || r->p[1] != 'u')
            return FALSE;
          r->p += 2;
          if (!read_hex4 (r, &low) || low < 0xDC00 || low > 0xDFFF)
            return FALSE;
          c = 0x10000 + ((c - 0xD800) << 10) + (low - 0xDC00);
        }
      g_string_append_unichar (out, c);
      return TRUE;
    default:
      return FALSE;
    }
}

/* A string at r->p (on its quote). Its text points into the body when it
 * has no escapes, else into the scratch, valid until the next string. */
static gboolean
read_string (Reader      *r,
             const char **text,
             gsize       *length)
{
  const char *start = ++r->p;
  const char *s = start;
  gboolean high = FALSE;

  while (s < r->end && *s != '"' && *s != '\\')
    {
      guchar c = (guchar) *s;

      if (c < 0x20)
        return FALSE;
      high |= c >= 0x80;
      s++;
    }
  if (s >= r->end)
    return FALSE;
  if (*s == '"')
    {
      /* json-glib refuses a body that is not UTF-8 as a whole */
      if (high && !g_utf8_validate_len (start, (gsize) (s - start), NULL))
        return FALSE;
      *text = start;
      *length = (gsize) (s - start);
      r->p = s + 1;
      return TRUE;
    }

  g_string_truncate (r->scratch, 0);
  r->p = start;
  while (r->p < r->end && *r->p != '"')
    {
      guchar c = (guchar) *r->p;

      if (c == '\\')
        {
          r->p++;
          if (!read_escape (r, r->scratch))
            return FALSE;
          continue;
        }
      if (c < 0x20)
        return FALSE;
      high |= c >= 0x80;
      g_string_append_c (r->scratch, (char) c);
      r->p++;
    }
  if (r->p >= r->end)
    return FALSE;
  /* The escapes above give valid UTF-8 and begin with a lead byte, so a
   * broken sequence in the raw bytes stays broken here. */
  if (high && !g_utf8_validate_len (r->scratch->str, r->scratch->len, NULL))
    return FALSE;
  r->p++;
  *text = r->scratch->str;
  *length = r->scratch->len;
  return TRUE;
}

static inline gboolean
is_digit (const Reader *r)
{
  return r->p < r->end && *r->p >= '0' && *r->p <= '9';
}

/* A number; *plain when it is an integer of at most 18 digits, which
 * json-glib and this reader hold the same (longer ones wrap around in
 * json-glib). */
static gboolean
read_number (Reader   *r,
             gint64   *integer,
             gboolean *plain)
{
  gboolean negative = FALSE;
  guint64 value = 0;
  guint n_digits = 0;

  *plain = TRUE;
  if (r->p >= r->end)
    return FALSE;
  if (*r->p == '-')
    {
      negative = TRUE;
      r->p++;
    }
  if (!is_digit (r))
    return FALSE;
  if (*r->p == '0')
    {
      r->p++;
      n_digits = 1;
    }
  else
    while (is_digit (r))
      {
        if (++n_digits <= 18)
          value = value * 10 + (guint64) (*r->p - '0');
        r->p++;
      }
  if (r->p < r->end && *r->p == '.')
    {
      r->p++;
      *plain = FALSE;
      if (!is_digit (r))
        return FALSE;
      while (is_digit (r))
        r->p++;
    }
  if (r->p < r->end && (*r->p == 'e' || *r->p == 'E'))
    {
      r->p++;
      *plain = FALSE;
      if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
        r->p++;
      if (!is_digit (r))
        return FALSE;
      while (is_digit (r))
        r->p++;
    }
  if (n_digits > 18)
    *plain = FALSE;
  *integer = negative ? -(gint64) value : (gint64) value;
  return TRUE;
}

static gboolean
read_literal (Reader     *r,
              const char *word,
              gsize       length)
{
  if ((gsize) (r->end - r->p) < length || memcmp (r->p, word, length) != 0)
    return FALSE;
  r->p += length;
  return TRUE;
}

static inline gboolean
open_container (Reader *r,
                char    c)
{
  if (r->depth >= MAX_NESTING)
    return FALSE;
  r->open[++r->depth] = c;
  r->p++;
  return TRUE;
}

/* Any value, checked but not kept, without recursion: nesting lives in
 * r->open, bounded as the tree path bounds it. */
static gboolean
skip_value (Reader *r)
{
  const guint base = r->depth;
  const char *text;
  gsize length;
  gint64 integer;
  gboolean plain;

  for (;;)
    {
      /* a value */
      switch (next_char (r))
        {
        case '{':
          if (!open_container (r, '{'))
            return FALSE;
          if (next_char (r) == '}')
            {
              r->p++;
              r->depth--;
              break;
            }
          if (next_char (r) != '"' || !read_string (r, &text, &length) || !expect (r, ':'))
            return FALSE;
          continue;
        case '[':
          if (!open_container (r, '['))
            return FALSE;
          if (next_char (r) == ']')
            {
              r->p++;
              r->depth--;
              break;
            }
          continue;
        case '"':
          if (!read_string (r, &text, &length))
            return FALSE;
          break;
        case 't':
          if (!read_literal (r, "true", 4))
            return FALSE;
          break;
        case 'f':
          if (!read_literal (r, "false", 5))
            return FALSE;
          break;
        case 'n':
          if (!read_literal (r, "null", 4))
            return FALSE;
          break;
        default:
          if (!read_number (r, &integer, &plain))
            return FALSE;
          break;
        }

      /* after a value: close what ends here, then the next member or element */
      for (;;)
        {
          char c;

          if (r->depth == base)
            return TRUE;
          c = next_char (r);
          if (c == ',')
            {
              r->p++;
              if (r->open[r->depth] == '{'
                  && (next_char (r) != '"' || !read_string (r, &text, &length) || !expect (r, ':')))
                return FALSE;
              break;
            }
          if (c != (r->open[r->depth] == '{' ? '}' : ']'))
            return FALSE;
          r->p++;
          r->depth--;
        }
    }
}

static gboolean
read_value (Reader *r,
            Value  *value)
{
  gboolean plain;

  switch (next_char (r))
    {
    case '"':
      value->kind = VALUE_STRING;
      return read_string (r, &value->text, &value->length);
    case 't':
      value->kind = VALUE_BOOLEAN;
      value->integer = 1;
      return read_literal (r, "true", 4);
    case 'f':
      value->kind = VALUE_BOOLEAN;
      value->integer = 0;
      return read_literal (r, "false", 5);
    case 'n':
      value->kind = VALUE_NULL;
      return read_literal (r, "null", 4);
    case '{':
    case '[':
      value->kind = VALUE_OTHER;
      return skip_value (r);
    default:
      value->kind = VALUE_INTEGER;
      /* A fraction or a long number: json-glib's own conversion decides */
      return read_number (r, &value->integer, &plain) && plain;
    }
}

static gboolean
value_get_int (const Value *value,
               gint64      *out)
{
  g_autofree char *text = NULL;

  switch (value->kind)
    {
    case VALUE_INTEGER:
    case VALUE_BOOLEAN:
      *out = value->integer;
      return TRUE;
    case VALUE_STRING:
      text = g_strndup (value->text, value->length);
      return string_to_int (text, out);
    case VALUE_NULL:
    case VALUE_OTHER:
    default:
      return FALSE;
    }
}

static char *
value_dup_string (const Value *value)
{
  switch (value->kind)
    {
    case VALUE_STRING:
      return g_strndup (value->text, value->length);
    case VALUE_INTEGER:
      return g_strdup_printf ("%" G_GINT64_FORMAT, value->integer);
    case VALUE_NULL:
    case VALUE_BOOLEAN:
    case VALUE_OTHER:
    default:
      return NULL;
    }
}

/* ASCII only, as g_ascii_strcasecmp() folds in kc_kerio_json_get_member() */
static inline guchar
fold_case (guchar c)
{
  return (guchar) (c - 'A') < 26 ? c | 0x20 : c;
}

/* Whether a key spells a member's name without regard to case. Cheapest
 * first, as this runs for every member of every row: the lengths, where
 * most keys differ from most names; the first letter; then the spelling
 * asked for, which is how most servers spell it. name is not empty. */
static inline gboolean
same_name (const char *key,
           gsize       length,
           const char *name,
           gsize       name_length)
{
  if (length != name_length || fold_case ((guchar) key[0]) != fold_case ((guchar) name[0]))
    return FALSE;
  if (memcmp (key, name, length) == 0)
    return TRUE;
  for (gsize i = 1; i < length; i++)
    if (fold_case ((guchar) key[i]) != fold_case ((guchar) name[i]))
      return FALSE;
  return TRUE;
}

static inline gboolean
key_is (const char *key,
        gsize       length,
        const char *name)
{
  return same_name (key, length, name, strlen (name));
}

/* The JSON-RPC envelope's names, exactly as the tree path reads them */
static inline gboolean
key_is_exactly (const char *key,
                gsize       length,
                const char *name)
{
  return strlen (name) == length && memcmp (key, name, length) == 0;
}

/* Walks the members of the object at r->p: calls member() with each key,
 * r->p on its value, which member() must read. */
typedef gboolean (*MemberFunc) (Reader     *r,
                                const char *key,
                                gsize       length,
                                gpointer    data);

static gboolean
read_object (Reader     *r,
             MemberFunc  member,
             gpointer    data)
{
  if (next_char (r) != '{' || !open_container (r, '{'))
    return FALSE;
  if (next_char (r) == '}')
    {
      r->p++;
      r->depth--;
      return TRUE;
    }
  for (;;)
    {
      const char *key;
      gsize length;
      char c;

      if (next_char (r) != '"' || !read_string (r, &key, &length) || !expect (r, ':'))
        return FALSE;
      if (!member (r, key, length, data))
        return FALSE;
      c = next_char (r);
      if (c != ',' && c != '}')
        return FALSE;
      r->p++;
      if (c == '}')
        break;
    }
  r->depth--;
  return TRUE;
}

typedef struct
{
  const PageSpec *spec;
  gpointer        row;
  guint32         seen;
  guint           next; /* the field looked at first: the one after the last found */
} RowState;

typedef struct
{
  char   **number;
  char   **name;
  guint    seen;
} PartyState;

static gboolean
read_party_member (Reader     *r,
                   const char *key,
                   gsize       length,
                   gpointer    data)
{
  PartyState *state = data;
  Value value;
  char **slot;
  guint bit;

  if (key_is (key, length, "NUMBER"))
    slot = state->number, bit = 1;
  else if (key_is (key, length, "NAME"))
    slot = state->name, bit = 2;
  else
    return skip_value (r);
  if ((state->seen & bit) || !read_value (r, &value))
    return FALSE;
  state->seen |= bit;
  *slot = value_dup_string (&value);
  return TRUE;
}

static inline guint
next_field (const PageSpec *spec,
            guint           i)
{
  return i + 1 < spec->n_fields ? i + 1 : 0;
}

static gboolean
read_row_member (Reader     *r,
                 const char *key,
                 gsize       length,
                 gpointer    data)
{
  RowState *state = data;
  const PageSpec *spec = state->spec;
  Value value;
  gint64 integer;

  /* A server sends its members in the same order row after row, mostly in
   * the order of the fields: from the one after the last found, a member
   * is mostly found at the first try. */
  for (guint n = 0, i = state->next; n < spec->n_fields; n++, i = next_field (spec, i))
    {
      const FieldSpec *field = &spec->fields[i];
      gpointer slot = G_STRUCT_MEMBER_P (state->row, field->offset);

      if (!same_name (key, length, field->name, field->length))
        continue;
      state->next = next_field (spec, i);
      /* A name given twice, in one spelling or two: the tree path's rule
       * (kc_kerio_json_get_member()) decides; rare enough to leave to it */
      if (state->seen & (1u << i))
        return FALSE;
      state->seen |= 1u << i;
      if (field->kind == FIELD_PARTY && next_char (r) == '{')
        {
          PartyState party = { slot, G_STRUCT_MEMBER_P (state->row, field->name_offset), 0 };

          return read_object (r, read_party_member, &party);
        }
      if (!read_value (r, &value))
        return FALSE;
      switch (field->kind)
        {
        case FIELD_STRING:
        case FIELD_PARTY: /* flattened to its number by some firmware */
          *(char **) slot = value_dup_string (&value);
          break;
        case FIELD_NON_NEGATIVE:
          *(gint64 *) slot = value_get_int (&value, &integer) && integer >= 0 ? integer : -1;
          break;
        case FIELD_STATUS:
          *(int *) slot = value_get_int (&value, &integer) && integer > 0 && integer <= G_MAXINT
                              ? (int) integer : 0;
          break;
        default:
          g_assert_not_reached ();
        }
      return TRUE;
    }
  return skip_value (r);
}

typedef struct
{
  const PageSpec    *spec;
  KcKerioPageAnswer *answer;
  gboolean           seen_rows;
  gboolean           seen_total;
  gint64             total;
} ResultState;

static gboolean
read_rows (Reader      *r,
           ResultState *state)
{
  const PageSpec *spec = state->spec;
  KcKerioPageAnswer *answer = state->answer;

  if (!open_container (r, '['))
    return FALSE;
  if (next_char (r) == ']')
    {
      r->p++;
      r->depth--;
      return TRUE;
    }
  for (;;)
    {
      const char *start;
      char c;

      c = next_char (r);
      start = r->p;
      if (c == '{')
        {
          RowState row = { spec, g_malloc0 (spec->row_size), 0, 0 };

          for (guint i = 0; i < spec->n_fields; i++)
            if (spec->fields[i].kind == FIELD_NON_NEGATIVE)
              *(gint64 *) G_STRUCT_MEMBER_P (row.row, spec->fields[i].offset) = -1;
          g_ptr_array_add (answer->rows, row.row);
          if (!read_object (r, read_row_member, &row))
            return FALSE;
        }
      else if (!skip_value (r))
        return FALSE;
      if (answer->n_raw++ == 0)
        answer->first_row = g_bytes_new (start, (gsize) (r->p - start));

      c = next_char (r);
      if (c != ',' && c != ']')
        return FALSE;
      r->p++;
      if (c == ']')
        break;
    }
  r->depth--;
  return TRUE;
}

static gboolean
read_result_member (Reader     *r,
                    const char *key,
                    gsize       length,
                    gpointer    data)
{
  ResultState *state = data;
  Value value;

  if (key_is (key, length, state->spec->rows_member))
    {
      if (state->seen_rows || next_char (r) != '[')
        return FALSE;
      state->seen_rows = TRUE;
      return read_rows (r, state);
    }
  if (key_is (key, length, "totalItems"))
    {
      if (state->seen_total || !read_value (r, &value))
        return FALSE;
      state->seen_total = TRUE;
      state->answer->total_known = value_get_int (&value, &state->total);
      return TRUE;
    }
  if (key_is (key, length, "errors") && next_char (r) == '[')
    {
      /* An empty list is no error; the server's message is worded by the
       * tree path. */
      if (!open_container (r, '[') || next_char (r) != ']')
        return FALSE;
      r->p++;
      r->depth--;
      return TRUE;
    }
  return skip_value (r);
}

typedef struct
{
  ResultState *result;
  gboolean     seen_result;
} RootState;

static gboolean
read_root_member (Reader     *r,
                  const char *key,
                  gsize       length,
                  gpointer    data)
{
  RootState *state = data;

  if (key_is_exactly (key, length, "result"))
    {
      if (state->seen_result || next_char (r) != '{')
        return FALSE;
      state->seen_result = TRUE;
      return read_object (r, read_result_member, state->result);
    }
  if (key_is_exactly (key, length, "error"))
    return next_char (r) == 'n' && read_literal (r, "null", 4);
  return skip_value (r);
}

static KcKerioPageAnswer *
stream_page (const PageSpec *spec,
             const char     *body,
             gsize           length)
{
  g_autoptr (KcKerioPageAnswer) answer = g_new0 (KcKerioPageAnswer, 1);
  g_autoptr (GString) scratch = g_string_new (NULL);
  ResultState result = { spec, answer, FALSE, FALSE, 0 };
  RootState root = { &result, FALSE };
  Reader r = { body, body + length, 0, scratch, { 0 } };

  if (body == NULL || length > KC_KERIO_MAX_BODY_SIZE)
    return NULL;
  answer->rows = g_ptr_array_new_full (PAGE_ROWS_HINT, spec->free_row);
  if (!read_object (&r, read_root_member, &root))
    return NULL;
  skip_space (&r);
  if (r.p != r.end || !root.seen_result || !result.seen_rows)
    return NULL;
  answer->total_items = answer->total_known && result.total >= 0 ? result.total : answer->n_raw;
  return g_steal_pointer (&answer);
}

/* The same page through json-glib's tree, with its errors. */
static KcKerioPageAnswer *
tree_page (const PageSpec  *spec,
           const char      *body,
           gsize            length,
           GError         **error)
{
  g_autoptr (JsonNode) result = NULL;
  g_autoptr (KcKerioPageAnswer) answer = g_new0 (KcKerioPageAnswer, 1);
  JsonObject *object;
  JsonArray *raw_rows;

  result = kc_kerio_parse_response (body, length, error);
  if (result == NULL)
    return NULL;
  answer->rows = spec->parse_tree (result, &answer->total_items, error);
  if (answer->rows == NULL)
    return NULL;

  object = json_node_get_object (result);
  answer->total_known = kc_kerio_json_get_int (object, "totalItems", NULL);
  raw_rows = json_node_get_array (kc_kerio_json_get_member (object, spec->rows_member));
  answer->n_raw = json_array_get_length (raw_rows);
  if (answer->n_raw > 0)
    {
      gsize text_length;
      char *text = json_to_string (json_array_get_element (raw_rows, 0), FALSE);

      text_length = strlen (text);
      answer->first_row = g_bytes_new_take (text, text_length);
    }
  return g_steal_pointer (&answer);
}

KcKerioPageAnswer *
kc_kerio_stream_cdr_page (const char *body,
                          gsize       length)
{
  return stream_page (&cdr_page, body, length);
}

KcKerioPageAnswer *
kc_kerio_stream_call_page (const char *body,
                           gsize       length)
{
  return stream_page (&call_page, body, length);
}

KcKerioPageAnswer *
kc_kerio_parse_call_page (const char  *body,
                          gsize        length,
                          GError     **error)
{
  KcKerioPageAnswer *answer = stream_page (&call_page, body, length);

  return answer != NULL ? answer : tree_page (&call_page, body, length, error);
}

KcKerioPageAnswer *
kc_kerio_stream_recording_page (const char *body,
                                gsize       length)
{
  return stream_page (&recording_page, body, length);
}

KcKerioPageAnswer *
kc_kerio_parse_cdr_page (const char  *body,
                         gsize        length,
                         GError     **error)
{
  KcKerioPageAnswer *answer = stream_page (&cdr_page, body, length);

  return answer != NULL ? answer : tree_page (&cdr_page, body, length, error);
}

KcKerioPageAnswer *
kc_kerio_parse_recording_page (const char  *body,
                               gsize        length,
                               GError     **error)
{
  KcKerioPageAnswer *answer = stream_page (&recording_page, body, length);

  return answer != NULL ? answer : tree_page (&recording_page, body, length, error);
}
