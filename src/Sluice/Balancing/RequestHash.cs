using Sluice.Config.Model;
using Sluice.Messages;
using Sluice.Rules.Samples;

namespace Sluice.Balancing;

/// <summary>
/// The key of the hash-based algorithms for one HTTP request or tcp connection, hashed with the backend's `hash-type` (HAProxy's
/// get_server_uh, get_server_ph, get_server_hh, get_server_expr). The key is read in place: nothing is allocated.
/// </summary>
internal static class RequestHash
{
    /// <summary>How much of a POST body `check_post` reads: HAProxy looks at what one buffer holds.</summary>
    private const int BodyScanLimit = 16384;

    /// <summary>False when the request has no key (no such parameter, header or sample): the request is balanced round robin.</summary>
    public static bool TryCompute(BalanceConfig balance, HashTypeConfig hashType, HttpRequestHead request, SampleContext samples, out uint hash)
    {
        hash = 0;
        scoped ReadOnlySpan<byte> key;
        switch (balance.Algorithm)
        {
            case BalanceAlgorithm.Uri:
                key = UriKey(request.Target, balance);
                break;
            case BalanceAlgorithm.UrlParam:
                if (!TryQueryParameter(request.Target, balance.NameBytes, out key))
                {
                    return NeedsPostBody(balance, request) && samples.RequestBody is { } body && TryHashBodyParameter(balance, hashType, body, out hash);
                }

                break;
            case BalanceAlgorithm.Header:
                var slot = request.Headers.IndexOf(balance.NameBytes);
                if (slot < 0)
                {
                    return false;
                }

                key = request.Headers.Value(slot);
                if (balance.UseDomainOnly)
                {
                    key = MainDomain(key);
                }

                break;
            case BalanceAlgorithm.Hash:
                return TryHashExpression(balance, hashType, samples, out hash);
            default:
                return false;
        }

        hash = Hash(hashType, key);
        return true;
    }

    /// <summary>
    /// The key of a connection in mode tcp, from the bytes its `tcp-request content` rules waited for: `balance hash`
    /// on such samples, `balance rdp-cookie` (HAProxy's get_server_rch: a cookie not there yet or empty is none).
    /// </summary>
    public static bool TryComputeForTunnel(BalanceConfig balance, HashTypeConfig hashType, SampleContext samples, out uint hash)
    {
        hash = 0;
        switch (balance.Algorithm)
        {
            case BalanceAlgorithm.Hash:
                return TryHashExpression(balance, hashType, samples, out hash);
            case BalanceAlgorithm.RdpCookie:
                Span<byte> scratch = stackalloc byte[RdpCookieFetches.ScratchLength(samples.RequestPayload)];
                if (!RdpCookieFetches.TryFind(samples.RequestPayload, balance.NameBytes, scratch, out _, out var cookie) || cookie.IsEmpty)
                {
                    return false;
                }

                hash = Hash(hashType, cookie);
                return true;
            default:
                return false;
        }
    }

    private static bool TryHashExpression(BalanceConfig balance, HashTypeConfig hashType, SampleContext samples, out uint hash)
    {
        hash = 0;
        if (balance.Expression is not { } expression || !expression.TryEvaluate(samples, out var sample))
        {
            return false;
        }

        Span<byte> formatted = stackalloc byte[64];
        if (sample.IsText)
        {
            hash = Hash(hashType, sample.Bytes);
        }
        else if (sample.TryFormat(formatted, out var written))
        {
            hash = Hash(hashType, formatted[..written]);
        }
        else
        {
            return false;
        }

        return true;
    }

    /// <summary>`url_param NAME check_post`: a POST with a body and without NAME in its query string, whose body must be waited for.</summary>
    public static bool NeedsPostBody(BalanceConfig balance, HttpRequestHead request) =>
        balance.CheckPost && request.Method == Messages.HttpMethod.Post && request.HasBody
        && !TryQueryParameter(request.Target, balance.NameBytes, out _);

    private static uint Hash(HashTypeConfig hashType, ReadOnlySpan<byte> key)
    {
        var hash = HashFunctions.Compute(hashType.Function, key);
        return hashType.Avalanche ? HashFunctions.Avalanche(hash) : hash;
    }

    /// <summary>
    /// The buffered start of the body read as `NAME=value&amp;...` (HAProxy's get_server_ph_post): the value ends at `&amp;`
    /// or at a space or line end. False when the body has no such parameter or cannot be read in place.
    /// </summary>
    private static bool TryHashBodyParameter(BalanceConfig balance, HashTypeConfig hashType, IBufferedRequestBody body, out uint hash)
    {
        hash = 0;
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(BodyScanLimit);
        try
        {
            var length = body.CopyBufferedBody(buffer.AsSpan(0, BodyScanLimit));
            if (length <= 0 || !TryFormParameter(buffer.AsSpan(0, length), balance.NameBytes, '&', out var value))
            {
                return false;
            }

            var end = value.IndexOfAny(" \t\r\n"u8);
            hash = Hash(hashType, end < 0 ? value : value[..end]);
            return true;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// `balance uri`: the URI up to the query string (all of it with `whole`), cut to `len` characters and to `depth`
    /// directories; `path-only` leaves out the scheme and authority of an absolute URI.
    /// </summary>
    internal static ReadOnlySpan<byte> UriKey(ReadOnlySpan<byte> uri, BalanceConfig balance)
    {
        if (balance.UriPathOnly && uri.Length > 0 && uri[0] != (byte)'/')
        {
            var scheme = uri.IndexOf("://"u8);
            if (scheme >= 0)
            {
                var rest = uri[(scheme + 3)..];
                var slash = rest.IndexOfAny((byte)'/', (byte)'?');
                uri = slash < 0 ? ReadOnlySpan<byte>.Empty : rest[slash..];
            }
        }

        if (balance.UriLength > 0 && uri.Length > balance.UriLength)
        {
            uri = uri[..balance.UriLength];
        }

        var slashes = 0;
        for (var i = 0; i < uri.Length; i++)
        {
            var c = uri[i];
            if (c == (byte)'/')
            {
                slashes++;
                if (balance.UriDepth > 0 && slashes == balance.UriDepth + 1)
                {
                    return uri[..i];
                }
            }
            else if (c == (byte)'?' && !balance.UriWhole)
            {
                return uri[..i];
            }
        }

        return uri;
    }

    /// <summary>The value of <paramref name="name"/> in the query string (`&amp;` or `;` separated), possibly empty.</summary>
    internal static bool TryQueryParameter(ReadOnlySpan<byte> uri, ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        value = default;
        var question = uri.IndexOf((byte)'?');
        if (question < 0)
        {
            return false;
        }

        return TryFormParameter(uri[(question + 1)..], name, ';', out value);
    }

    /// <summary>The value of <paramref name="name"/> in `a=1&amp;NAME=v...` pairs separated by `&amp;` or <paramref name="otherSeparator"/>.</summary>
    private static bool TryFormParameter(ReadOnlySpan<byte> pairs, ReadOnlySpan<byte> name, char otherSeparator, out ReadOnlySpan<byte> value)
    {
        value = default;
        while (!pairs.IsEmpty)
        {
            var end = pairs.IndexOfAny((byte)'&', (byte)otherSeparator);
            var pair = end < 0 ? pairs : pairs[..end];
            if (pair.Length > name.Length && pair[name.Length] == (byte)'=' && pair.StartsWith(name))
            {
                value = pair[(name.Length + 1)..];
                return true;
            }

            pairs = end < 0 ? ReadOnlySpan<byte>.Empty : pairs[(end + 1)..];
        }

        return false;
    }

    /// <summary>`use_domain_only`: the label before the last dot (`1wt` in `haproxy.1wt.eu`); the whole value without a dot.</summary>
    internal static ReadOnlySpan<byte> MainDomain(ReadOnlySpan<byte> host)
    {
        var last = host.LastIndexOf((byte)'.');
        if (last < 0)
        {
            return host;
        }

        var start = host[..last].LastIndexOf((byte)'.') + 1;
        return host[start..last];
    }
}
