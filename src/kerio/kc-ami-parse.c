/* kc-ami-parse.c: AMI messages, the line parser, actions
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-ami"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "kc-ami-parse.h"

#define GREETING_PREFIX "Asterisk Call Manager/"

/* ------------------------------------------------------------------------ */
/* Messages */

struct _KcAmiMessage
{
  gatomicrefcount   ref_count;
  guint             n_fields;
  char            **fields; /* key, value, key, value, ..., NULL */
};

G_DEFINE_BOXED_TYPE (KcAmiMessage, kc_ami_message, kc_ami_message_ref, kc_ami_message_unref)

/* Takes `fields` (key, value, ..., NULL) */
static KcAmiMessage *
message_new_take (char **fields,
                  guint  n_fields)
{
  KcAmiMessage *message = g_new0 (KcAmiMessage, 1);

  g_atomic_ref_count_init (&message->ref_count);
  message->fields = fields;
  message->n_fields = n_fields;
  return message;
}

KcAmiMessage *
kc_ami_message_new (const char *const *pairs)
{
  guint n = pairs != NULL ? g_strv_length ((char **) pairs) : 0;

  g_return_val_if_fail (n % 2 == 0, NULL);

  return message_new_take (g_strdupv ((char **) pairs), n / 2);
}

KcAmiMessage *
kc_ami_message_ref (KcAmiMessage *message)
{
  g_return_val_if_fail (message != NULL, NULL);

  g_atomic_ref_count_inc (&message->ref_count);
  return message;
}

void
kc_ami_message_unref (KcAmiMessage *message)
{
  g_return_if_fail (message != NULL);

  if (!g_atomic_ref_count_dec (&message->ref_count))
    return;
  g_strfreev (message->fields);
  g_free (message);
}

const char *
kc_ami_message_get (KcAmiMessage *message,
                    const char   *key)
{
  g_return_val_if_fail (message != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  /* A block has a dozen or two fields: a scan beats a table */
  for (guint i = 0; i < message->n_fields; i++)
    if (g_ascii_strcasecmp (message->fields[2 * i], key) == 0)
      return message->fields[2 * i + 1];
  return NULL;
}

const char *
kc_ami_message_get_event (KcAmiMessage *message)
{
  return kc_ami_message_get (message, "Event");
}

gboolean
kc_ami_message_is_event (KcAmiMessage *message,
                         const char   *name)
{
  const char *event = kc_ami_message_get_event (message);

  g_return_val_if_fail (name != NULL, FALSE);

  return event != NULL && g_ascii_strcasecmp (event, name) == 0;
}

guint
kc_ami_message_get_n_fields (KcAmiMessage *message)
{
  g_return_val_if_fail (message != NULL, 0);

  return message->n_fields;
}

void
kc_ami_message_get_field (KcAmiMessage  *message,
                          guint          index,
                          const char   **key,
                          const char   **value)
{
  g_return_if_fail (message != NULL);
  g_return_if_fail (index < message->n_fields);

  if (key != NULL)
    *key = message->fields[2 * index];
  if (value != NULL)
    *value = message->fields[2 * index + 1];
}

/* ------------------------------------------------------------------------ */
/* The parser */

struct _KcAmiParser
{
  GString   *line;       /* the line being read, up to its newline */
  char      *greeting;
  GPtrArray *fields;     /* of the block being read: key, value, ... */
  gsize      block_size; /* bytes of its lines */
  guint      block_lines;
  gboolean   malformed;  /* a line of it was not "Key: Value" */
  gboolean   failed;
};

KcAmiParser *
kc_ami_parser_new (void)
{
  KcAmiParser *parser = g_new0 (KcAmiParser, 1);

  parser->line = g_string_sized_new (256);
  parser->fields = g_ptr_array_new_with_free_func (g_free);
  return parser;
}

void
kc_ami_parser_free (KcAmiParser *parser)
{
  if (parser == NULL)
    return;
  g_string_free (parser->line, TRUE);
  g_free (parser->greeting);
  g_ptr_array_unref (parser->fields);
  g_free (parser);
}

const char *
kc_ami_parser_get_greeting (KcAmiParser *parser)
{
  g_return_val_if_fail (parser != NULL, NULL);

  return parser->greeting;
}

static gboolean
is_blank (char c)
{
  return c == ' ' || c == '\t';
}

/* [start, end) trimmed of blanks, as valid UTF-8 (a NUL byte included:
 * it would cut the string short) */
static char *
dup_trimmed (const char *start,
             const char *end)
{
  while (start < end && is_blank (*start))
    start++;
  while (end > start && is_blank (end[-1]))
    end--;
  if (g_utf8_validate_len (start, end - start, NULL))
    return g_strndup (start, end - start);
  return g_utf8_make_valid (start, end - start);
}

static void
end_block (KcAmiParser *parser,
           GPtrArray   *messages)
{
  if (parser->fields->len > 0 && !parser->malformed)
    {
      guint n_fields = parser->fields->len / 2;

      g_ptr_array_add (parser->fields, NULL);
      g_ptr_array_add (messages,
                       message_new_take ((char **) g_ptr_array_steal (parser->fields, NULL),
                                         n_fields));
    }
  g_ptr_array_set_size (parser->fields, 0);
  parser->block_size = 0;
  parser->block_lines = 0;
  parser->malformed = FALSE;
}

static gboolean
take_line (KcAmiParser  *parser,
           const char   *line,
           gsize         len,
           GPtrArray    *messages,
           GError      **error)
{
  const char *end = line + len;
  const char *colon;
  const char *p;

  if (parser->greeting == NULL)
    {
      parser->greeting = dup_trimmed (line, end);
      return TRUE;
    }

  for (p = line; p < end && is_blank (*p); p++)
    ;
  if (p == end)
    {
      end_block (parser, messages);
      return TRUE;
    }

  parser->block_size += len;
  parser->block_lines++;
  if (parser->block_size > KC_AMI_MAX_BLOCK)
    {
      g_set_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_TOO_LARGE,
                   _("The AMI sent a message longer than %u bytes"), (guint) KC_AMI_MAX_BLOCK);
      return FALSE;
    }
  if (parser->block_lines > KC_AMI_MAX_BLOCK_LINES)
    {
      g_set_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_TOO_LARGE,
                   _("The AMI sent a message of more than %u lines"), KC_AMI_MAX_BLOCK_LINES);
      return FALSE;
    }

  colon = memchr (line, ':', len);
  /* The rest of a malformed block is read only to be dropped with it */
  if (colon == NULL || colon == p || parser->malformed)
    {
      parser->malformed = TRUE;
      return TRUE;
    }
  g_ptr_array_add (parser->fields, dup_trimmed (line, colon));
  g_ptr_array_add (parser->fields, dup_trimmed (colon + 1, end));
  return TRUE;
}

static gboolean
line_too_long (GError **error)
{
  g_set_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_TOO_LARGE,
               _("The AMI sent a line longer than %u bytes"), (guint) KC_AMI_MAX_LINE);
  return FALSE;
}

gboolean
kc_ami_parser_feed (KcAmiParser  *parser,
                    const char   *data,
                    gsize         size,
                    GPtrArray    *messages,
                    GError      **error)
{
  const char *end = data + size;

  g_return_val_if_fail (parser != NULL, FALSE);
  g_return_val_if_fail (data != NULL || size == 0, FALSE);
  g_return_val_if_fail (messages != NULL, FALSE);
  g_return_val_if_fail (!parser->failed, FALSE);

  while (data < end)
    {
      const char *newline = memchr (data, '\n', end - data);
      const char *stop = newline != NULL ? newline : end;
      const char *line;
      gsize len;

      /* A CR may still end the line: one byte over is not too long yet */
      if (parser->line->len + (stop - data) > KC_AMI_MAX_LINE + 1)
        {
          parser->failed = TRUE;
          return line_too_long (error);
        }
      if (newline == NULL)
        {
          g_string_append_len (parser->line, data, end - data);
          break;
        }

      /* The whole line in hand: no copy */
      if (parser->line->len == 0)
        {
          line = data;
          len = newline - data;
        }
      else
        {
          g_string_append_len (parser->line, data, newline - data);
          line = parser->line->str;
          len = parser->line->len;
        }
      if (len > 0 && line[len - 1] == '\r')
        len--;
      if (len > KC_AMI_MAX_LINE)
        {
          parser->failed = TRUE;
          return line_too_long (error);
        }
      if (!take_line (parser, line, len, messages, error))
        {
          parser->failed = TRUE;
          return FALSE;
        }
      g_string_truncate (parser->line, 0);
      data = newline + 1;
    }
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Greeting and actions */

char *
kc_ami_parse_greeting (const char *line)
{
  const char *version;

  g_return_val_if_fail (line != NULL, NULL);

  if (!g_str_has_prefix (line, GREETING_PREFIX))
    return NULL;
  version = line + strlen (GREETING_PREFIX);
  if (*version == '\0')
    return NULL;
  return g_strdup (version);
}

gboolean
kc_ami_text_is_safe (const char *text)
{
  return text != NULL && strpbrk (text, "\r\n") == NULL;
}

static void
append_field (GString    *out,
              const char *key,
              const char *value)
{
  g_return_if_fail (kc_ami_text_is_safe (key) && *key != '\0');
  g_return_if_fail (kc_ami_text_is_safe (value));

  g_string_append (out, key);
  g_string_append (out, ": ");
  g_string_append (out, value);
  g_string_append (out, "\r\n");
}

void
kc_ami_format_action (GString           *out,
                      const char        *action,
                      const char *const *pairs)
{
  g_return_if_fail (out != NULL);
  g_return_if_fail (action != NULL);

  append_field (out, "Action", action);
  for (guint i = 0; pairs != NULL && pairs[i] != NULL; i += 2)
    {
      g_return_if_fail (pairs[i + 1] != NULL);
      append_field (out, pairs[i], pairs[i + 1]);
    }
  g_string_append (out, "\r\n");
}

char *
kc_ami_md5_key (const char *challenge,
                const char *secret)
{
  g_autofree char *text = g_strconcat (challenge, secret, NULL);

  return g_compute_checksum_for_string (G_CHECKSUM_MD5, text, -1);
}
