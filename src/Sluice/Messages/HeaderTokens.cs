using System.Text;

namespace Sluice.Messages;

/// <summary>Comma-separated token lists of header values (`Connection: keep-alive, Upgrade`), RFC 9110 §5.6.1.</summary>
internal static class HeaderTokens
{
    /// <summary>True when <paramref name="list"/> holds <paramref name="token"/>, compared case-insensitively.</summary>
    public static bool Contains(ReadOnlySpan<byte> list, ReadOnlySpan<byte> token)
    {
        while (!list.IsEmpty)
        {
            var comma = list.IndexOf((byte)',');
            var item = comma < 0 ? list : list[..comma];
            if (Ascii.EqualsIgnoreCase(Trim(item), token))
            {
                return true;
            }

            if (comma < 0)
            {
                break;
            }

            list = list[(comma + 1)..];
        }

        return false;
    }

    /// <summary>The first element of the list, trimmed (`Upgrade: websocket, foo` asks for websocket first).</summary>
    public static ReadOnlySpan<byte> First(ReadOnlySpan<byte> list)
    {
        var comma = list.IndexOf((byte)',');
        return Trim(comma < 0 ? list : list[..comma]);
    }

    /// <summary>Calls <paramref name="onToken"/> for each non-empty element of the list.</summary>
    public static void ForEach<TState>(ReadOnlySpan<byte> list, ref TState state, TokenAction<TState> onToken)
    {
        while (!list.IsEmpty)
        {
            var comma = list.IndexOf((byte)',');
            var item = Trim(comma < 0 ? list : list[..comma]);
            if (!item.IsEmpty)
            {
                onToken(ref state, item);
            }

            if (comma < 0)
            {
                break;
            }

            list = list[(comma + 1)..];
        }
    }

    public static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> value)
    {
        var start = 0;
        var end = value.Length;
        while (start < end && (value[start] == (byte)' ' || value[start] == (byte)'\t'))
        {
            start++;
        }

        while (end > start && (value[end - 1] == (byte)' ' || value[end - 1] == (byte)'\t'))
        {
            end--;
        }

        return value[start..end];
    }

    public delegate void TokenAction<TState>(ref TState state, ReadOnlySpan<byte> token);
}
