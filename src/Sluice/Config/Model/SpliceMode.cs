namespace Sluice.Config.Model;

/// <summary>`option splice-request`, `splice-response`, `splice-auto`: which directions of a tunnel may use splice(2).</summary>
[Flags]
internal enum SpliceMode
{
    None = 0,
    /// <summary>Client to server.</summary>
    Request = 1,
    /// <summary>Server to client.</summary>
    Response = 2,
    /// <summary>Both directions, each once its traffic turns to bulk (a read that fills the buffer).</summary>
    Auto = 4,
}
