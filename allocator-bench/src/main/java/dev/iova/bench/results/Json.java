package dev.iova.bench.results;

/**
 * Writes a JSON string literal. Every other JSON file of ours is written by Jackson; this is for the
 * one place that must not use it: {@link LatencyPercentiles#writeTrial}, which runs inside a
 * benchmark's fork after its last measurement iteration, where Jackson's first use (13.9 MB) would
 * show up in that iteration's bytes per operation.
 */
public final class Json
{
    private Json()
    {
    }

    /**
     * @param value any text.
     * @return it as a JSON string literal, quotes included.
     */
    public static String string(final String value)
    {
        final StringBuilder out = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++)
        {
            final char c = value.charAt(i);
            switch (c)
            {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default ->
                {
                    if (c < 0x20)
                    {
                        out.append(String.format("\\u%04x", (int)c));
                    }
                    else
                    {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
