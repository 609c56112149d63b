namespace Sluice.Config.Model;

/// <summary>The `mode` of a proxy section: what the frontend speaks and what the backend forwards.</summary>
internal enum ProxyMode
{
    /// <summary>Layer 4 pass-through (HAProxy's default mode).</summary>
    Tcp = 0,
    /// <summary>HTTP/1.x and HTTP/2 through the message model.</summary>
    Http = 1,
}
