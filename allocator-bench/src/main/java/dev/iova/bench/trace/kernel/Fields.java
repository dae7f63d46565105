package dev.iova.bench.trace.kernel;

import dev.iova.bench.trace.kernel.EventLineParser.BadField;

import java.util.ArrayList;
import java.util.Arrays;


/**
 * The fields of one event line, split at blanks: a {@code TP_printk} output is a few positional
 * words and {@code key=value} words. Lookups name the key and the value in their errors.
 */
final class Fields
{
    private final String[] words;

    private Fields(final String[] words)
    {
        this.words = words;
    }

    static Fields of(final String text)
    {
        final ArrayList<String> words = new ArrayList<>(8);
        int at = 0;
        while (at < text.length())
        {
            while (at < text.length() && Character.isWhitespace(text.charAt(at)))
            {
                at++;
            }
            final int start = at;
            while (at < text.length() && !Character.isWhitespace(text.charAt(at)))
            {
                at++;
            }
            if (at > start)
            {
                words.add(text.substring(start, at));
            }
        }
        return new Fields(words.toArray(new String[0]));
    }

    /** @return word {@code index}, or null when there are fewer words. */
    String word(final int index)
    {
        return index < words.length ? words[index] : null;
    }

    /** @return true when one word is exactly {@code word}. */
    boolean has(final String word)
    {
        for (final String w : words)
        {
            if (w.equals(word))
            {
                return true;
            }
        }
        return false;
    }

    /** @return the value of the first {@code key=value} word, or null when there is none. */
    String value(final String key)
    {
        final String prefix = key + "=";
        for (final String w : words)
        {
            if (w.startsWith(prefix))
            {
                return w.substring(prefix.length());
            }
        }
        return null;
    }

    /** @return the word after the first word equal to {@code word}, or null. */
    String after(final String word)
    {
        for (int i = 0; i + 1 < words.length; i++)
        {
            if (words[i].equals(word))
            {
                return words[i + 1];
            }
        }
        return null;
    }

    String required(final String key) throws BadField
    {
        final String value = value(key);
        if (value == null)
        {
            throw new BadField("no " + key + "= field");
        }
        return value;
    }

    /** @return {@code key}'s value read as unsigned hex, with or without {@code 0x}. */
    long hex(final String key) throws BadField
    {
        return parseHex(key, required(key));
    }

    /** @return {@code key}'s value read as an unsigned decimal. */
    long decimal(final String key) throws BadField
    {
        final String value = required(key);
        try
        {
            return Long.parseUnsignedLong(value);
        }
        catch (final NumberFormatException ex)
        {
            throw new BadField(key + "=" + value + " is not a decimal number");
        }
    }

    /** @return {@code key}'s value, an array printed as {@code {0x1,0x2}}, read as unsigned hex numbers. */
    long[] hexArray(final String key) throws BadField
    {
        final String value = required(key);
        if (value.length() < 2 || value.charAt(0) != '{' || value.charAt(value.length() - 1) != '}')
        {
            throw new BadField(key + "=" + abbreviate(value) + " is not an array {0x..,0x..}");
        }
        final String inner = value.substring(1, value.length() - 1);
        if (inner.isEmpty())
        {
            return new long[0];
        }
        final String[] items = inner.split(",", -1);
        final long[] numbers = new long[items.length];
        for (int i = 0; i < items.length; i++)
        {
            numbers[i] = parseHex(key + "[" + i + "]", items[i]);
        }
        return numbers;
    }

    static long parseHex(final String name, final String value) throws BadField
    {
        final String digits = value.startsWith("0x") || value.startsWith("0X") ? value.substring(2) : value;
        try
        {
            if (digits.isEmpty() || digits.charAt(0) == '+' || digits.charAt(0) == '-')
            {
                throw new NumberFormatException();
            }
            return Long.parseUnsignedLong(digits, 16);
        }
        catch (final NumberFormatException ex)
        {
            throw new BadField(name + "=" + abbreviate(value) + " is not a 64-bit hex number");
        }
    }

    static String abbreviate(final String value)
    {
        return value.length() <= 40 ? value : value.substring(0, 37) + "...";
    }

    @Override
    public String toString()
    {
        return Arrays.toString(words);
    }
}
