using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Sluice.Config.Model;

namespace Sluice.Config.Parsing;

/// <summary>
/// Reads HAProxy's address syntax (configuration.txt §11) for bind and server lines: an optional family
/// prefix (<c>ipv4@</c>, <c>ipv6@</c>, <c>tcp@</c>, <c>unix@</c>, <c>abns@</c>, <c>fd@</c>), then a host and a
/// port or port range, an absolute path for a unix socket, or a name or number. Host names are resolved
/// once, here, at load time. Errors are returned as messages in HAProxy's words, without location.
/// </summary>
internal static class AddressParser
{
    /// <summary>`IP:PORT`, brackets around IPv6, as addresses are written in the configuration.</summary>
    public static string FormatEndPoint(IPAddress address, int port) =>
        address.AddressFamily == AddressFamily.InterNetworkV6
            ? string.Create(CultureInfo.InvariantCulture, $"[{address}]:{port}")
            : string.Create(CultureInfo.InvariantCulture, $"{address}:{port}");

    private static readonly string[] UnsupportedPrefixes =
    [
        "udp@", "udp4@", "udp6@", "quic4@", "quic6@", "uxdg@", "sockpair@", "abnsz@", "mptcp@", "mptcp4@", "mptcp6@", "rhttp@",
    ];

    /// <summary>Splits a bind line's address list (<c>:80,:443</c>) on commas outside brackets.</summary>
    public static List<string> SplitList(string text)
    {
        var parts = new List<string>();
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '[':
                    depth++;
                    break;
                case ']':
                    depth--;
                    break;
                case ',' when depth == 0:
                    parts.Add(text[start..i]);
                    start = i + 1;
                    break;
            }
        }

        parts.Add(text[start..]);
        return parts;
    }

    public static string? ParseBind(string text, out BindAddress? address)
    {
        address = null;
        var error = SplitPrefix(text, out var prefix, out var rest);
        if (error is not null)
        {
            return error;
        }

        switch (prefix)
        {
            case "unix@" or "uxst@":
                address = new UnixBindAddress { Text = text, Path = rest };
                return rest.Length == 0 ? $"missing path in '{text}'" : null;
            case "abns@":
                address = new AbstractBindAddress { Text = text, Name = rest };
                return rest.Length == 0 ? $"missing name in '{text}'" : null;
            case "fd@":
                if (!int.TryParse(rest, NumberStyles.None, CultureInfo.InvariantCulture, out var fd))
                {
                    return $"invalid file descriptor '{rest}' in '{text}'";
                }

                address = new FdBindAddress { Text = text, Fd = fd };
                return null;
        }

        if (prefix.Length == 0 && rest.StartsWith('/'))
        {
            address = new UnixBindAddress { Text = text, Path = rest };
            return null;
        }

        error = SplitHostPort(text, rest, out var host, out var portText);
        if (error is not null)
        {
            return error;
        }

        if (portText is null)
        {
            return $"missing port number: '{text}'";
        }

        error = ParsePortRange(text, portText, out var first, out var last);
        if (error is not null)
        {
            return error;
        }

        error = ResolveHost(text, host, prefix, wildcard: true, out var ip, out _);
        if (error is not null)
        {
            return error;
        }

        address = new InetBindAddress { Text = text, Address = ip!, FirstPort = first, LastPort = last };
        return null;
    }

    /// <remarks>
    /// A name that does not resolve gives an error and, for `init-addr`, an address of 0.0.0.0 with the port and the
    /// name in <see cref="InetServerAddress.Fqdn"/>.
    /// </remarks>
    public static string? ParseServer(string text, out ServerAddress? address)
    {
        address = null;
        var error = SplitPrefix(text, out var prefix, out var rest);
        if (error is not null)
        {
            return error;
        }

        switch (prefix)
        {
            case "unix@" or "uxst@":
                address = new UnixServerAddress { Text = text, Path = rest };
                return rest.Length == 0 ? $"missing path in '{text}'" : null;
            case "abns@":
                address = new AbstractServerAddress { Text = text, Name = rest };
                return rest.Length == 0 ? $"missing name in '{text}'" : null;
            case "fd@":
                return $"'fd@' addresses cannot be used for servers: '{text}'";
        }

        if (prefix.Length == 0 && rest.StartsWith('/'))
        {
            address = new UnixServerAddress { Text = text, Path = rest };
            return null;
        }

        error = SplitHostPort(text, rest, out var host, out var portText);
        if (error is not null)
        {
            return error;
        }

        error = ParseServerPort(text, portText, out var port, out var offset);
        if (error is not null)
        {
            return error;
        }

        if (host.Length == 0)
        {
            return $"missing address in '{text}'";
        }

        error = ResolveHost(text, host, prefix, wildcard: false, out var ip, out var byName);
        if (error is not null && !byName)
        {
            return error;
        }

        address = new InetServerAddress { Text = text, Address = ip ?? IPAddress.Any, Port = port, PortIsOffset = offset, Fqdn = byName ? host : null };
        return error;
    }

    /// <summary>
    /// An SRV label with an optional port (`_http._tcp.example.com[:PORT]`): the label, and the address its server
    /// starts with (none, the port given or 0) until the records give it a target.
    /// </summary>
    public static string? ParseServiceLabel(string text, out string label, out ServerAddress? address)
    {
        address = null;
        label = text;
        var error = SplitHostPort(text, text, out var host, out var portText);
        if (error is not null)
        {
            return error;
        }

        label = host;
        error = ParseServerPort(text, portText, out var port, out var offset);
        if (error is not null)
        {
            return error;
        }

        address = new InetServerAddress { Text = text, Address = IPAddress.Any, Port = port, PortIsOffset = offset };
        return null;
    }

    /// <summary>A server's `:PORT`, `:+N` or `:-N` (an offset on the client's port); no port text is port 0.</summary>
    private static string? ParseServerPort(string text, string? portText, out int port, out bool offset)
    {
        port = 0;
        offset = false;
        if (string.IsNullOrEmpty(portText))
        {
            return null;
        }

        var sign = portText[0] is '+' or '-' ? portText[0] : '\0';
        var digits = sign == '\0' ? portText : portText[1..];
        foreach (var c in digits)
        {
            if (!char.IsAsciiDigit(c))
            {
                return $"invalid character '{c}' in port number '{portText}' in '{text}'";
            }
        }

        if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > 65535)
        {
            return $"invalid port '{portText}' in '{text}'";
        }

        offset = sign != '\0';
        if (sign == '-')
        {
            port = -port;
        }

        return null;
    }

    /// <summary>Parses <c>ADDR[:PORT[-PORT]]</c> of a <c>source</c> keyword.</summary>
    public static string? ParseSource(string text, out SourceConfig? source)
    {
        source = null;
        var error = SplitPrefix(text, out var prefix, out var rest);
        if (error is not null)
        {
            return error;
        }

        if (prefix is "unix@" or "uxst@" or "abns@" or "fd@" || rest.StartsWith('/'))
        {
            return $"'{text}' is not an IP address";
        }

        error = SplitHostPort(text, rest, out var host, out var portText);
        if (error is not null)
        {
            return error;
        }

        int first = 0, last = 0;
        if (portText is not null && portText.Length > 0)
        {
            error = ParsePortRange(text, portText, out first, out last);
            if (error is not null)
            {
                return error;
            }
        }

        error = ResolveHost(text, host, prefix, wildcard: true, out var ip, out _);
        if (error is not null)
        {
            return error;
        }

        source = new SourceConfig { Text = text, Address = ip!, FirstPort = first, LastPort = last };
        return null;
    }

    private static string? SplitPrefix(string text, out string prefix, out string rest)
    {
        prefix = string.Empty;
        rest = text;
        var at = text.IndexOf('@', StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        prefix = text[..(at + 1)];
        rest = text[(at + 1)..];
        if (prefix is "ipv4@" or "ipv6@" or "tcp@" or "tcp4@" or "tcp6@" or "unix@" or "uxst@" or "abns@" or "fd@")
        {
            return null;
        }

        return Array.IndexOf(UnsupportedPrefixes, prefix) >= 0
            ? $"address family '{prefix}' is not supported yet in '{text}'"
            : $"unknown address family '{prefix}' in '{text}'";
    }

    /// <summary>
    /// Splits host and port on the last colon, or after a bracketed IPv6 address. <paramref name="port"/> is
    /// null when there is no colon at all.
    /// </summary>
    private static string? SplitHostPort(string text, string rest, out string host, out string? port)
    {
        port = null;
        host = rest;
        if (rest.StartsWith('['))
        {
            var close = rest.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                return $"missing ']' in '{text}'";
            }

            host = rest[1..close];
            var after = rest[(close + 1)..];
            if (after.Length == 0)
            {
                return null;
            }

            if (after[0] != ':')
            {
                return $"invalid address: '{rest}' in '{text}'";
            }

            port = after[1..];
            return null;
        }

        var colon = rest.LastIndexOf(':');
        if (colon < 0)
        {
            return null;
        }

        host = rest[..colon];
        port = rest[(colon + 1)..];
        return null;
    }

    private static string? ParsePortRange(string text, string portText, out int first, out int last)
    {
        first = last = 0;
        var dash = portText.IndexOf('-', StringComparison.Ordinal);
        var low = dash < 0 ? portText : portText[..dash];
        var high = dash < 0 ? portText : portText[(dash + 1)..];
        foreach (var part in (ReadOnlySpan<string>)[low, high])
        {
            foreach (var c in part)
            {
                if (!char.IsAsciiDigit(c))
                {
                    return $"invalid character '{c}' in port number '{portText}' in '{text}'";
                }
            }
        }

        if (low.Length == 0 || high.Length == 0
            || !int.TryParse(low, NumberStyles.None, CultureInfo.InvariantCulture, out first)
            || !int.TryParse(high, NumberStyles.None, CultureInfo.InvariantCulture, out last)
            || first < 1 || last > 65535 || first > last)
        {
            return $"invalid port range '{portText}' in '{text}'";
        }

        return null;
    }

    /// <param name="byName">True when <paramref name="host"/> is a name for the resolver, resolved or not.</param>
    private static string? ResolveHost(string text, string host, string prefix, bool wildcard, out IPAddress? ip, out bool byName)
    {
        ip = null;
        byName = false;
        var family = prefix switch
        {
            "ipv4@" or "tcp4@" => AddressFamily.InterNetwork,
            "ipv6@" or "tcp6@" => AddressFamily.InterNetworkV6,
            _ => AddressFamily.Unspecified,
        };

        if (host.Length == 0 || host == "*")
        {
            if (!wildcard)
            {
                return $"missing address in '{text}'";
            }

            ip = family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
            return null;
        }

        if (IPAddress.TryParse(host, out var parsed) && LooksNumeric(host))
        {
            if (family != AddressFamily.Unspecified && parsed.AddressFamily != family)
            {
                return $"address '{host}' does not match the '{prefix}' family in '{text}'";
            }

            ip = parsed;
            return null;
        }

        if (LooksNumeric(host) && !host.Contains(':', StringComparison.Ordinal))
        {
            return $"invalid address: '{host}' in '{text}'";
        }

        byName = true;
        try
        {
            var addresses = Dns.GetHostAddresses(host);
            ip = Array.Find(addresses, a => family == AddressFamily.Unspecified ? a.AddressFamily == AddressFamily.InterNetwork : a.AddressFamily == family)
                ?? Array.Find(addresses, a => family == AddressFamily.Unspecified || a.AddressFamily == family);
        }
        catch (SocketException)
        {
            ip = null;
        }

        return ip is null ? $"could not resolve address '{host}' in '{text}'" : null;
    }

    /// <summary>True for text made of digits, dots, colons and hex letters: an address literal, not a name.</summary>
    private static bool LooksNumeric(string host)
    {
        var hasColon = host.Contains(':', StringComparison.Ordinal);
        foreach (var c in host)
        {
            if (!(char.IsAsciiDigit(c) || c == '.' || (hasColon && (c == ':' || char.IsAsciiHexDigit(c)))))
            {
                return false;
            }
        }

        return true;
    }
}
