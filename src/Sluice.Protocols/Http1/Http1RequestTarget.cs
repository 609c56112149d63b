using Sluice.Protocols.Text;

namespace Sluice.Protocols.Http1;

/// <summary>Checks of request-targets (RFC 9112 §3.2) and authorities (RFC 3986 §3.2).</summary>
public static class Http1RequestTarget
{
    /// <summary>
    /// Classifies <paramref name="target"/> for <paramref name="method"/>; false when it is invalid: a byte other
    /// than VCHAR (bytes 0x80-0xFF pass with <paramref name="allowObsText"/>), a "#" (RFC 9112 §3.2: no fragment;
    /// HAProxy CVE-2023-45539), "*" with a method other than OPTIONS (§3.2.4), CONNECT without uri-host ":" port
    /// (§3.2.3), or any other form with CONNECT, or a target that is neither origin-form nor absolute-form.
    /// </summary>
    public static bool TryClassify(ReadOnlySpan<byte> method, ReadOnlySpan<byte> target, bool allowObsText, out Http1TargetForm form)
    {
        form = default;
        if (target.IsEmpty || !HasValidBytes(target, allowObsText))
        {
            return false;
        }

        if (method.SequenceEqual("CONNECT"u8))
        {
            // RFC 9112 §3.2.3: authority-form = uri-host ":" port, only for CONNECT.
            form = Http1TargetForm.Authority;
            return IsValidAuthority(target, requireHost: true, requirePort: true);
        }

        if (target[0] == (byte)'/')
        {
            form = Http1TargetForm.Origin;
            return true;
        }

        if (target.Length == 1 && target[0] == (byte)'*')
        {
            form = Http1TargetForm.Asterisk;
            return method.SequenceEqual("OPTIONS"u8);
        }

        form = Http1TargetForm.Absolute;
        return TryGetAbsoluteAuthority(target, out _);
    }

    /// <summary>
    /// The authority of an absolute-form target: scheme "://" authority, up to the first "/", "?" or the end.
    /// False when the scheme is not ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) or the authority is empty or not
    /// uri-host [":" port] (RFC 3986 §3.1, §3.2; RFC 9110 §4.2.1: an empty host is invalid; userinfo refused).
    /// </summary>
    public static bool TryGetAbsoluteAuthority(ReadOnlySpan<byte> target, out ReadOnlySpan<byte> authority)
    {
        authority = default;
        int colon = target.IndexOf((byte)':');
        if (colon <= 0 || !IsAsciiLetter(target[0]))
        {
            return false;
        }

        for (int i = 1; i < colon; i++)
        {
            byte b = target[i];
            if (!IsAsciiLetter(b) && !HttpCharacters.IsDigit(b) && b != (byte)'+' && b != (byte)'-' && b != (byte)'.')
            {
                return false;
            }
        }

        ReadOnlySpan<byte> afterScheme = target.Slice(colon + 1);
        if (!afterScheme.StartsWith("//"u8))
        {
            return false;
        }

        ReadOnlySpan<byte> rest = afterScheme.Slice(2);
        int end = rest.IndexOfAny((byte)'/', (byte)'?');
        authority = end < 0 ? rest : rest.Slice(0, end);
        return IsValidAuthority(authority, requireHost: true, requirePort: false);
    }

    /// <summary>
    /// True when <paramref name="authority"/> is uri-host [":" port] (RFC 3986 §3.2.2, §3.2.3): an IP-literal in
    /// brackets or a reg-name (unreserved / pct-encoded / sub-delims), then optionally ":" and digits.
    /// </summary>
    public static bool IsValidAuthority(ReadOnlySpan<byte> authority, bool requireHost, bool requirePort)
    {
        ReadOnlySpan<byte> host;
        ReadOnlySpan<byte> rest;
        if (!authority.IsEmpty && authority[0] == (byte)'[')
        {
            int close = authority.IndexOf((byte)']');
            if (close < 2 || HttpCharacters.IndexOfInvalid(authority.Slice(1, close - 1), HttpCharacters.Host) >= 0)
            {
                return false;
            }

            host = authority.Slice(0, close + 1);
            rest = authority.Slice(close + 1);
        }
        else
        {
            int colon = authority.IndexOf((byte)':');
            host = colon < 0 ? authority : authority.Slice(0, colon);
            rest = colon < 0 ? default : authority.Slice(colon);
            if (HttpCharacters.IndexOfInvalid(host, HttpCharacters.Host) >= 0 || !HasValidPercentEncoding(host))
            {
                return false;
            }
        }

        if (requireHost && host.IsEmpty)
        {
            return false;
        }

        if (rest.IsEmpty)
        {
            return !requirePort;
        }

        ReadOnlySpan<byte> port = rest.Slice(1);
        if (rest[0] != (byte)':' || (requirePort && port.IsEmpty))
        {
            return false;
        }

        foreach (byte b in port)
        {
            if (!HttpCharacters.IsDigit(b))
            {
                return false;
            }
        }

        return true;
    }

    private static bool HasValidBytes(ReadOnlySpan<byte> target, bool allowObsText)
    {
        int invalid;
        while ((invalid = HttpCharacters.IndexOfInvalid(target, HttpCharacters.Target)) >= 0)
        {
            if (!allowObsText || target[invalid] < 0x80)
            {
                return false;
            }

            target = target.Slice(invalid + 1);
        }

        return true;
    }

    private static bool HasValidPercentEncoding(ReadOnlySpan<byte> host)
    {
        int i = host.IndexOf((byte)'%');
        while (i >= 0)
        {
            if (i + 2 >= host.Length)
            {
                return false;
            }

            if (!HttpCharacters.IsHexDigit(host[i + 1]) || !HttpCharacters.IsHexDigit(host[i + 2]))
            {
                return false;
            }

            int next = host.Slice(i + 3).IndexOf((byte)'%');
            i = next < 0 ? -1 : i + 3 + next;
        }

        return true;
    }

    private static bool IsAsciiLetter(byte b) => (uint)((b | 0x20) - 'a') <= 'z' - 'a';
}
