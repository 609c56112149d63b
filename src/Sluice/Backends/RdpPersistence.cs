using System.Buffers.Binary;
using System.Net.Sockets;
using Sluice.Config.Model;
using Sluice.Protocols.Rdp;
using Sluice.Rules.Samples;

namespace Sluice.Backends;

/// <summary>
/// `persist rdp-cookie(NAME)` (HAProxy's tcp_persist_rdp_cookie): a connection broker's cookie `msts=ADDR.PORT.0000`
/// in the client's first bytes names the server the RDP session lives on, and the connection goes there; the first
/// server with that IPv4 address and port that may take it wins: not in maintenance, and up unless `option persist`
/// (the rule of Sluice's other persistence). A missing, incomplete or malformed cookie leaves the choice to the balancer.
/// </summary>
internal static class RdpPersistence
{
    public static ServerState? Find(BackendState backend, SampleContext samples)
    {
        if (backend.Config.RdpPersistCookie is not { } name)
        {
            return null;
        }

        var payload = samples.RequestPayload;
        Span<byte> scratch = stackalloc byte[RdpCookieFetches.ScratchLength(payload)];
        if (!RdpCookieFetches.TryFind(payload, name, scratch, out _, out var value) || value.IsEmpty
            || !RdpCookieReader.TryParseServerAddress(value, out var addressBytes, out var port))
        {
            return null;
        }

        Span<byte> serverBytes = stackalloc byte[4];
        foreach (var server in backend.Servers)
        {
            if (server.Address is not InetServerAddress { PortIsOffset: false } inet || inet.Port != port
                || inet.Address.AddressFamily != AddressFamily.InterNetwork
                || !inet.Address.TryWriteBytes(serverBytes, out _)
                || BinaryPrimitives.ReadUInt32LittleEndian(serverBytes) != addressBytes)
            {
                continue;
            }

            if (server.AdminState != ServerAdminState.Maint && (server.IsUp || backend.Config.Persist))
            {
                return server;
            }
        }

        return null;
    }
}
