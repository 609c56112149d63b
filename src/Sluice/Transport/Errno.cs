namespace Sluice.Transport;

/// <summary>The Linux errno values that calls made without the runtime (epoll, recv, splice, SCM_RIGHTS) act on.</summary>
internal static class Errno
{
    /// <summary>EINTR: a signal interrupted the call; make it again.</summary>
    public const int Interrupted = 4;

    /// <summary>EAGAIN: nothing to read, or no room to write, on a non-blocking descriptor.</summary>
    public const int Again = 11;

    /// <summary>EEXIST: the descriptor is in the epoll set already.</summary>
    public const int Exists = 17;
}
