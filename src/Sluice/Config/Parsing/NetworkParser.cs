using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Sluice.Config.Model;

namespace Sluice.Config.Parsing;

/// <summary>
/// Reads a network as HAProxy writes it after <c>except</c> and in ACL patterns: an IPv4 address with an
/// optional <c>/prefix</c> or dotted mask (<c>10.0.0.0/8</c>, <c>10.0.0.0/255.0.0.0</c>), or an IPv6 address
/// with an optional <c>/prefix</c>. Without a mask the network is the single address. Host bits are cleared.
/// </summary>
internal static class NetworkParser
{
    /// <summary>Returns null and the network, or an error message without location.</summary>
    public static string? Parse(string text, out NetworkMask? network)
    {
        network = null;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? text : text[..slash];
        if (addressText.Length == 0 || !IPAddress.TryParse(addressText, out var address) || addressText.Contains('%', StringComparison.Ordinal))
        {
            return $"invalid address '{addressText}'";
        }

        var bits = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var prefix = bits;
        if (slash >= 0)
        {
            var maskText = text[(slash + 1)..];
            if (int.TryParse(maskText, NumberStyles.None, CultureInfo.InvariantCulture, out var length))
            {
                if (length > bits)
                {
                    return $"invalid prefix length '{maskText}'";
                }

                prefix = length;
            }
            else if (bits == 32 && maskText.Contains('.', StringComparison.Ordinal) && IPAddress.TryParse(maskText, out var mask) && mask.AddressFamily == AddressFamily.InterNetwork)
            {
                var value = (uint)IPAddress.NetworkToHostOrder(BitConverter.ToInt32(mask.GetAddressBytes()));
                prefix = System.Numerics.BitOperations.PopCount(value);
                if (prefix != 0 && value != uint.MaxValue << (32 - prefix))
                {
                    return $"non-contiguous mask '{maskText}' is not supported";
                }
            }
            else
            {
                return $"invalid mask '{maskText}'";
            }
        }

        network = new NetworkMask(Mask(address, prefix), prefix) { Text = text };
        return null;
    }

    /// <summary>
    /// Whether <paramref name="address"/> (IPv4-mapped IPv6 counts as IPv4) is in <paramref name="network"/>.
    /// Allocation free: it runs per request for `option forwardfor except`.
    /// </summary>
    public static bool Contains(NetworkMask network, IPAddress address)
    {
        var net = network.Network;
        if (address.IsIPv4MappedToIPv6 && net.AddressFamily == AddressFamily.InterNetwork)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != net.AddressFamily)
        {
            return false;
        }

        Span<byte> a = stackalloc byte[16];
        Span<byte> n = stackalloc byte[16];
        address.TryWriteBytes(a, out var length);
        net.TryWriteBytes(n, out _);
        var bits = Math.Min(network.PrefixLength, length * 8);
        var whole = bits / 8;
        if (!a[..whole].SequenceEqual(n[..whole]))
        {
            return false;
        }

        var rest = bits % 8;
        var keep = (byte)(0xFF << (8 - rest));
        return rest == 0 || (a[whole] & keep) == (n[whole] & keep);
    }

    private static IPAddress Mask(IPAddress address, int prefix)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }

        return new IPAddress(bytes);
    }
}
