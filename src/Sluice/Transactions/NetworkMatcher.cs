using System.Net;
using System.Net.Sockets;
using Sluice.Config.Model;

namespace Sluice.Transactions;

/// <summary>Whether an address falls in a network (`option forwardfor except`, and later ACLs).</summary>
internal static class NetworkMatcher
{
    public static bool Contains(NetworkMask mask, IPAddress address)
    {
        var network = mask.Network;
        if (address.IsIPv4MappedToIPv6 && network.AddressFamily == AddressFamily.InterNetwork)
        {
            address = address.MapToIPv4();
        }
        else if (network.IsIPv4MappedToIPv6 && address.AddressFamily == AddressFamily.InterNetwork)
        {
            network = network.MapToIPv4();
        }

        if (address.AddressFamily != network.AddressFamily)
        {
            return false;
        }

        Span<byte> a = stackalloc byte[16];
        Span<byte> n = stackalloc byte[16];
        address.TryWriteBytes(a, out var length);
        network.TryWriteBytes(n, out _);
        var bits = Math.Min(mask.PrefixLength, length * 8);
        var whole = bits / 8;
        if (!a[..whole].SequenceEqual(n[..whole]))
        {
            return false;
        }

        var rest = bits % 8;
        if (rest == 0)
        {
            return true;
        }

        var keep = (byte)(0xFF << (8 - rest));
        return (a[whole] & keep) == (n[whole] & keep);
    }
}
