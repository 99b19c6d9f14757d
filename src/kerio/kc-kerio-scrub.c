/* kc-kerio-scrub.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-kerio"

#include "config.h"

#include <string.h>

#include "kc-kerio-scrub.h"

/* A run of digits this long inside free text is taken for a phone number:
 * long enough to spare times of day, counts and short codes. */
#define MIN_DIGIT_RUN 7
/* Numbers up to this long are extensions and get fake extensions from the
 * top of their range (9999, 9998, ...), where real ones seldom are; longer
 * ones get 555 or 55 and a serial, the conventional fictional prefix. */
#define MAX_EXTENSION_DIGITS 4

struct _KcKerioScrubber
{
  gboolean    anonymize;
  GHashTable *numbers; /* real digits -> fake digits */
  GHashTable *fakes;   /* fake digits given out */
  GHashTable *names;   /* case-folded real name -> "Person N" */
  GArray     *serials; /* guint64 per count of digits: the next fake's serial */
};

KcKerioScrubber *
kc_kerio_scrubber_new (gboolean anonymize)
{
  KcKerioScrubber *self = g_new0 (KcKerioScrubber, 1);

  self->anonymize = anonymize;
  self->numbers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->fakes = g_hash_table_new (g_str_hash, g_str_equal);
  self->names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->serials = g_array_new (FALSE, TRUE, sizeof (guint64));
  return self;
}

void
kc_kerio_scrubber_free (KcKerioScrubber *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->fakes);
  g_hash_table_unref (self->numbers);
  g_hash_table_unref (self->names);
  g_array_unref (self->serials);
  g_free (self);
}

gboolean
kc_kerio_scrubber_get_anonymize (KcKerioScrubber *self)
{
  return self->anonymize;
}

/* ------------------------------------------------------------------------ */
/* Fakes */

/* The serial-th fake of n digits, or NULL when there are no more */
static char *
fake_candidate (gsize   n,
                guint64 serial)
{
  const char *prefix = n >= MIN_DIGIT_RUN ? "555" : "55";
  gsize width;

  if (n <= MAX_EXTENSION_DIGITS)
    {
      guint64 top = 1;

      for (gsize i = 0; i < n; i++)
        top *= 10;
      if (serial >= top)
        return NULL;
      return g_strdup_printf ("%0*" G_GUINT64_FORMAT, (int) n, top - 1 - serial);
    }

  width = n - strlen (prefix);
  /* 10^width fakes, or more than anyone will ask for */
  if (width < 19)
    {
      guint64 limit = 1;

      for (gsize i = 0; i < width; i++)
        limit *= 10;
      if (serial + 1 >= limit)
        return NULL;
    }
  return g_strdup_printf ("%s%0*" G_GUINT64_FORMAT, prefix, (int) width, serial + 1);
}

/* The fake of a string of ASCII digits: the same each time, never another
 * number's fake, never a real number seen so far. */
static const char *
fake_digits (KcKerioScrubber *self,
             const char      *digits)
{
  gsize n = strlen (digits);
  const char *known = g_hash_table_lookup (self->numbers, digits);
  char *fake = NULL;

  if (known != NULL)
    return known;

  if (self->serials->len <= n)
    g_array_set_size (self->serials, n + 1);
  for (;;)
    {
      guint64 *serial = &g_array_index (self->serials, guint64, n);

      fake = fake_candidate (n, (*serial)++);
      if (fake == NULL)
        {
          /* Out of fakes of this length: the shape stays, the number is
           * gone, two numbers may look alike. */
          fake = g_strnfill (n, '0');
          break;
        }
      if (strcmp (fake, digits) != 0 && !g_hash_table_contains (self->fakes, fake)
          && !g_hash_table_contains (self->numbers, fake))
        break;
      g_free (fake);
    }

  g_hash_table_insert (self->numbers, g_strdup (digits), fake);
  g_hash_table_add (self->fakes, fake);
  return fake;
}

/* The digits of a number replaced by its fake's, everything else kept
 * ("+998 90 123-45-67" -> "+555 00 000-00-01"); NULL when it has none. */
static char *
fake_number (KcKerioScrubber *self,
             const char      *number)
{
  g_autoptr (GString) digits = g_string_new (NULL);
  const char *fake;
  char *result;
  gsize k = 0;

  for (const char *p = number; *p != '\0'; p++)
    if (g_ascii_isdigit (*p))
      g_string_append_c (digits, *p);
  if (digits->len == 0)
    return NULL;

  fake = fake_digits (self, digits->str);
  result = g_strdup (number);
  for (char *p = result; *p != '\0'; p++)
    if (g_ascii_isdigit (*p))
      *p = fake[k++];
  return result;
}

/* Every run of MIN_DIGIT_RUN or more digits replaced by its fake; NULL when
 * there is none. */
static char *
fake_digit_runs (KcKerioScrubber *self,
                 const char      *text)
{
  g_autoptr (GString) out = NULL;
  const char *p = text;

  while (*p != '\0')
    {
      const char *run = p;

      while (g_ascii_isdigit (*p))
        p++;
      if (p - run >= MIN_DIGIT_RUN)
        {
          g_autofree char *digits = g_strndup (run, p - run);

          if (out == NULL)
            out = g_string_new_len (text, run - text);
          g_string_append (out, fake_digits (self, digits));
          continue;
        }
      if (out != NULL)
        g_string_append_len (out, run, p - run);
      if (*p == '\0')
        break;
      if (out != NULL)
        g_string_append_c (out, *p);
      p++;
    }
  return out != NULL ? g_string_free (g_steal_pointer (&out), FALSE) : NULL;
}

static char *
fake_name (KcKerioScrubber *self,
           const char      *name)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (name));
  g_autofree char *key = NULL;
  const char *known;
  char *fake;

  if (*trimmed == '\0')
    return NULL;
  key = g_utf8_casefold (trimmed, -1);
  known = g_hash_table_lookup (self->names, key);
  if (known != NULL)
    return g_strdup (known);
  fake = g_strdup_printf ("Person %u", g_hash_table_size (self->names) + 1);
  g_hash_table_insert (self->names, g_steal_pointer (&key), g_strdup (fake));
  return fake;
}

/* A name field holding a number instead ("+998901234567", "1001") */
static gboolean
looks_like_number (const char *text)
{
  gboolean digits = FALSE;

  for (const char *p = text; *p != '\0'; p++)
    {
      if (g_ascii_isdigit (*p))
        digits = TRUE;
      else if (strchr ("+-() .*#", *p) == NULL)
        return FALSE;
    }
  return digits;
}

/* "1765123456.42": an Asterisk unique id, whose first part is a time */
static gboolean
looks_like_call_id (const char *text)
{
  const char *p = text;

  if (!g_ascii_isdigit (*p))
    return FALSE;
  while (g_ascii_isdigit (*p))
    p++;
  if (*p == '.')
    {
      p++;
      if (!g_ascii_isdigit (*p))
        return FALSE;
      while (g_ascii_isdigit (*p))
        p++;
    }
  return *p == '\0';
}

/* ------------------------------------------------------------------------ */
/* What a member holds, by its name (lower case) */

typedef enum
{
  VALUE_KEEP,   /* times, ids, counts, codes: needed to replay, no one's data */
  VALUE_SECRET, /* always "<redacted>" */
  VALUE_NUMBER, /* a phone number or extension */
  VALUE_NAME,   /* a person's name */
  VALUE_TEXT,   /* anything else: its runs of digits */
} ValueKind;

static gboolean
is_one_of (const char         *key,
           const char *const  *names)
{
  for (; *names != NULL; names++)
    if (strcmp (key, *names) == 0)
      return TRUE;
  return FALSE;
}

static const char *const secret_keys[] = { "password", "token", NULL };
static const char *const number_keys[] = {
  "number", "from_num", "to_num", "from", "to", "extension", "caller_id", "callerid",
  "callee_id", "calleeid", "tel_num", "telnum", "phone", "phone_number", "phonenumber", NULL
};
static const char *const name_keys[] = {
  "name", "from_name", "to_name", "caller_name", "callee_name", "fullname", "full_name",
  "firstname", "first_name", "lastname", "last_name", "displayname", "display_name",
  "username", "user_name", NULL
};
static const char *const id_keys[] = { "id", "guid", "uniqueid", "unique_id", "linkedid", NULL };
static const char *const kept_keys[] = {
  "timestamp", "started", "time", "date", "start_time", "end_time", "status", "code",
  "totalitems", "start", "limit", "length", "size", "jsonrpc", "method", "version", NULL
};
/* Objects whose "name" is a file's or a program's, not a person's */
static const char *const file_parents[] = { "recordinglist", "filedownload", NULL };
static const char *const program_parents[] = { "application", NULL };

static ValueKind
classify (KcKerioScrubber *self,
          const char      *key,
          const char      *parent,
          const char      *value)
{
  if (key == NULL)
    return self->anonymize ? VALUE_TEXT : VALUE_KEEP;
  if (is_one_of (key, secret_keys))
    return VALUE_SECRET;
  if (!self->anonymize)
    return VALUE_KEEP;
  if (is_one_of (key, number_keys))
    return VALUE_NUMBER;
  if (is_one_of (key, name_keys))
    {
      if (strcmp (key, "name") == 0 && parent != NULL)
        {
          if (is_one_of (parent, program_parents))
            return VALUE_KEEP;
          if (is_one_of (parent, file_parents))
            return VALUE_TEXT;
        }
      return value == NULL || looks_like_number (value) ? VALUE_NUMBER : VALUE_NAME;
    }
  if (is_one_of (key, id_keys))
    return value == NULL || looks_like_call_id (value) ? VALUE_KEEP : VALUE_TEXT;
  if (is_one_of (key, kept_keys) || g_str_has_suffix (key, "duration"))
    return VALUE_KEEP;
  return VALUE_TEXT;
}

/* NULL when the value stays */
static char *
replace_value (KcKerioScrubber *self,
               ValueKind        kind,
               const char      *value)
{
  switch (kind)
    {
    case VALUE_SECRET:
      return g_strdup (KC_KERIO_REDACTED);
    case VALUE_NUMBER:
      return fake_number (self, value);
    case VALUE_NAME:
      return fake_name (self, value);
    case VALUE_TEXT:
      return fake_digit_runs (self, value);
    case VALUE_KEEP:
    default:
      return NULL;
    }
}

/* ------------------------------------------------------------------------ */
/* JSON, one pass over the text */

typedef struct
{
  gboolean  is_object;
  gboolean  expect_key;
  char     *key;        /* the member whose value this container is (lower case) */
  char     *member;     /* the member being read (lower case) */
  char     *field_name; /* a query condition's "fieldName" (lower case) */
} Frame;

static void
frame_clear (gpointer data)
{
  Frame *frame = data;

  g_free (frame->key);
  g_free (frame->member);
  g_free (frame->field_name);
}

static Frame *
top_frame (GArray *frames)
{
  return frames->len > 0 ? &g_array_index (frames, Frame, frames->len - 1) : NULL;
}

/* The member name a value at this point belongs to: an array's elements
 * belong to the array's member; a condition's "value" is of its field. */
static const char *
value_key (Frame *top)
{
  if (top == NULL)
    return NULL;
  if (!top->is_object)
    return top->key;
  if (top->member != NULL && top->field_name != NULL && strcmp (top->member, "value") == 0)
    return top->field_name;
  return top->member;
}

static void
append_json_string (GString    *out,
                    const char *text,
                    gboolean    closed)
{
  g_string_append_c (out, '"');
  for (const char *p = text; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      if (c == '"' || c == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, (char) c);
        }
      else if (c < 0x20)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_c (out, (char) c);
    }
  if (closed)
    g_string_append_c (out, '"');
}

/* Up to four hex digits of a \u escape, the way json-glib 1.6 (Debian 12)
 * reads them: it stops after the first character that is not one, which
 * it has taken all the same. Where a string ends must be where the
 * client's parser sees it end, or a secret after it could pass for text. */
static const char *
read_hex4 (const char *p,
           const char *end,
           gunichar   *out)
{
  gunichar value = 0;

  for (int i = 0; i < 4 && p < end; i++)
    {
      int digit = g_ascii_xdigit_value (*p++);

      if (digit < 0)
        break;
      value |= (gunichar) digit << ((3 - i) * 4);
    }
  *out = value;
  return p;
}

/* p at an escape's backslash: appends what it stands for, returns what
 * follows it (as json-glib 1.6 reads it) */
static const char *
decode_escape (const char *p,
               const char *end,
               GString    *decoded)
{
  gunichar c;
  guint octal;

  if (p + 1 >= end)
    return end;
  switch (p[1])
    {
    case 'b':
      g_string_append_c (decoded, '\b');
      return p + 2;
    case 'f':
      g_string_append_c (decoded, '\f');
      return p + 2;
    case 'n':
      g_string_append_c (decoded, '\n');
      return p + 2;
    case 'r':
      g_string_append_c (decoded, '\r');
      return p + 2;
    case 't':
      g_string_append_c (decoded, '\t');
      return p + 2;
    case 'u':
      p += 2;
      /* "\u" and no hex digit: nothing, and what follows is read as usual */
      if (p >= end || !g_ascii_isxdigit (*p))
        return p;
      p = read_hex4 (p, end, &c);
      if (c >= 0xD800 && c < 0xE000)
        {
          gunichar low = 0;
          gboolean pair = FALSE;

          /* The next two characters are taken for "\u" whatever they are */
          if (p < end && *p++ == '\\' && p < end && *p++ == 'u')
            {
              p = read_hex4 (p, end, &low);
              pair = c < 0xDC00 && low >= 0xDC00 && low < 0xE000;
            }
          c = pair ? 0x10000 + ((c - 0xD800) << 10) + (low - 0xDC00) : 0xFFFD;
        }
      /* \u0000 stays a NUL: json-glib's names and strings end there, and
       * so must the name read here */
      g_string_append_unichar (decoded, c);
      return p;
    case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
      /* Octal, up to three digits */
      p++;
      octal = (guint) (*p++ - '0');
      for (int i = 0; i < 2 && p < end && *p >= '0' && *p <= '7'; i++)
        octal = octal * 8 + (guint) (*p++ - '0');
      g_string_append_c (decoded, (char) (octal & 0xFF));
      return p;
    default:
      g_string_append_c (decoded, p[1]);
      return p + 2;
    }
}

/* p at a string's opening quote; returns what follows its closing quote
 * (or the end of a body cut off inside it). json-glib, and so the client,
 * also takes strings in single quotes, without escapes. */
static const char *
scrub_string (KcKerioScrubber *self,
              GArray          *frames,
              const char      *p,
              const char      *end,
              GString         *out)
{
  const char *start = p;
  char quote = *p;
  g_autoptr (GString) decoded = g_string_new (NULL);
  g_autofree char *replacement = NULL;
  Frame *top = top_frame (frames);
  gboolean closed;

  for (p++; p < end && *p != quote;)
    {
      if (*p == '\\' && quote == '"')
        p = decode_escape (p, end, decoded);
      else
        g_string_append_c (decoded, *p++);
    }
  closed = p < end;
  if (closed)
    p++;
  /* An octal escape may stand for any byte; what is compared and faked
   * must be text */
  if (!g_utf8_validate (decoded->str, (gssize) decoded->len, NULL))
    {
      g_autofree char *valid = g_utf8_make_valid (decoded->str, (gssize) decoded->len);

      g_string_assign (decoded, valid);
    }

  if (top != NULL && top->is_object && top->expect_key)
    {
      g_free (top->member);
      top->member = g_ascii_strdown (decoded->str, -1);
      g_string_append_len (out, start, p - start);
      return p;
    }

  if (top != NULL && top->is_object && g_strcmp0 (top->member, "fieldname") == 0)
    {
      g_free (top->field_name);
      top->field_name = g_ascii_strdown (decoded->str, -1);
    }
  replacement = replace_value (self,
                               classify (self, value_key (top),
                                         top != NULL && top->is_object ? top->key : NULL,
                                         decoded->str),
                               decoded->str);
  if (replacement != NULL)
    append_json_string (out, replacement, closed);
  else
    g_string_append_len (out, start, p - start);
  return p;
}

/* p at a number's first character */
static const char *
scrub_number (KcKerioScrubber *self,
              GArray          *frames,
              const char      *p,
              const char      *end,
              GString         *out)
{
  const char *start = p;
  g_autofree char *token = NULL;
  g_autofree char *replacement = NULL;
  Frame *top = top_frame (frames);
  const char *digits;
  ValueKind kind;

  /* A number runs on through letters (0x1F) as json-glib reads it */
  while (p < end && (g_ascii_isalnum (*p) || strchr ("+-.", *p) != NULL))
    p++;
  token = g_strndup (start, p - start);
  digits = token[0] == '-' ? token + 1 : token;

  kind = classify (self, value_key (top), top != NULL && top->is_object ? top->key : NULL,
                   NULL);
  /* Only whole numbers can be phone numbers; a count or a time is kept. */
  if (*digits != '\0' && strspn (digits, "0123456789") == strlen (digits))
    {
      if (kind == VALUE_NUMBER)
        replacement = fake_number (self, token);
      else if (kind == VALUE_TEXT)
        replacement = fake_digit_runs (self, token);
    }
  g_string_append (out, replacement != NULL ? replacement : token);
  return p;
}

static void
scrub_json (KcKerioScrubber *self,
            const char      *p,
            const char      *end,
            GString         *out)
{
  g_autoptr (GArray) frames = g_array_new (FALSE, TRUE, sizeof (Frame));

  g_array_set_clear_func (frames, frame_clear);
  while (p < end)
    {
      Frame *top = top_frame (frames);
      Frame frame = { 0 };

      switch (*p)
        {
        case '{':
        case '[':
          frame.is_object = *p == '{';
          frame.expect_key = frame.is_object;
          frame.key = g_strdup (value_key (top));
          g_array_append_val (frames, frame);
          g_string_append_c (out, *p++);
          break;
        case '}':
        case ']':
          if (frames->len > 0)
            g_array_remove_index (frames, frames->len - 1);
          g_string_append_c (out, *p++);
          break;
        case ',':
          if (top != NULL && top->is_object)
            {
              top->expect_key = TRUE;
              g_clear_pointer (&top->member, g_free);
            }
          g_string_append_c (out, *p++);
          break;
        case ':':
          if (top != NULL && top->is_object)
            top->expect_key = FALSE;
          g_string_append_c (out, *p++);
          break;
        case '"':
        case '\'':
          p = scrub_string (self, frames, p, end, out);
          break;
        case '/':
          {
            /* json-glib 1.6 skips comments, where a quote starts no
             * string: from a slash to the next one (its single-line
             * comment pair is two slashes; C comments are not set up) */
            const char *close = memchr (p + 1, '/', (gsize) (end - p - 1));
            const char *after = close != NULL ? close + 1 : end;

            g_string_append_len (out, p, after - p);
            p = after;
          }
          break;
        default:
          if (*p == '-' || g_ascii_isdigit (*p))
            p = scrub_number (self, frames, p, end, out);
          else
            g_string_append_c (out, *p++);
        }
    }
}

/* ------------------------------------------------------------------------ */

/* Any bytes -> valid UTF-8 without NULs, so that it fits in a JSON string */
static char *
make_text (const char *bytes,
           gsize       length)
{
  g_autoptr (GString) text = g_string_sized_new (length);

  for (gsize i = 0; i < length; i++)
    {
      if (bytes[i] == '\0')
        g_string_append (text, "\xEF\xBF\xBD");
      else
        g_string_append_c (text, bytes[i]);
    }
  return g_utf8_make_valid (text->str, text->len);
}

char *
kc_kerio_scrubber_scrub_body (KcKerioScrubber *self,
                              const char      *body,
                              gsize            length)
{
  g_autofree char *text = make_text (body, length);
  const char *p = text;
  GString *out;

  g_return_val_if_fail (self != NULL, NULL);

  while (g_ascii_isspace (*p))
    p++;
  if (*p != '{' && *p != '[')
    {
      char *replaced = self->anonymize ? fake_digit_runs (self, text) : NULL;

      return replaced != NULL ? replaced : g_steal_pointer (&text);
    }

  out = g_string_sized_new (strlen (text));
  scrub_json (self, text, text + strlen (text), out);
  return g_string_free (out, FALSE);
}

char *
kc_kerio_scrubber_scrub_text (KcKerioScrubber *self,
                              const char      *text)
{
  g_autofree char *valid = make_text (text, strlen (text));
  char *replaced;

  g_return_val_if_fail (self != NULL, NULL);

  replaced = self->anonymize ? fake_digit_runs (self, valid) : NULL;
  return replaced != NULL ? replaced : g_steal_pointer (&valid);
}

char *
kc_kerio_scrub_set_cookie (const char *header)
{
  const char *attributes = strchr (header, ';');
  const char *equals = strchr (header, '=');
  GString *out = g_string_new (NULL);

  if (equals != NULL && (attributes == NULL || equals < attributes))
    g_string_append_len (out, header, equals + 1 - header);
  g_string_append (out, KC_KERIO_REDACTED);
  if (attributes != NULL)
    g_string_append (out, attributes);
  return g_string_free (out, FALSE);
}
