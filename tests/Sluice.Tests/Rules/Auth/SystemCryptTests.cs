using System.Text;
using Sluice.Rules.Auth;

namespace Sluice.Tests.Rules.Auth;

/// <summary>The system's crypt(3) through libcrypt: hashes made by `openssl passwd -1` and by `mkpasswd` (whois).</summary>
public class SystemCryptTests
{
    [Theory]
    [InlineData("secret1", "$1$wvKAJcWg$cToXD56/YdJsSxrN.0vZY1")]
    [InlineData("secret3", "$y$j9T$G3VEG0KeK.pztzGA1IZIs.$ftWgL7V7H16u6BJVEaWDJgjBgHRGa6f5bjzGXilr58B")]
    [InlineData("secret2", "$2b$05$lRSWhxUz178pWg0SnpNP9eHEl83KJtbPfzwaMBh22/iX7RUnA/oOC")]
    [InlineData("secret4", "wE6KZEHe5MCuY")]
    [InlineData("secret", "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1")]
    public void KnownHashes_Verify(string password, string hash)
    {
        Assert.True(SystemCrypt.IsSupported(hash));
        Assert.Equal(hash, SystemCrypt.Compute(Encoding.UTF8.GetBytes(password), hash));
        Assert.True(SystemCrypt.Verify(Encoding.UTF8.GetBytes(password), hash));
        Assert.False(SystemCrypt.Verify(Encoding.UTF8.GetBytes(password + "x"), hash));
    }

    [Theory]
    [InlineData("$9$zz$zz")]
    [InlineData("$2b$99$abc")]
    [InlineData("")]
    public void UnknownSettings_NotSupported(string hash)
    {
        Assert.False(SystemCrypt.IsSupported(hash));
        Assert.False(SystemCrypt.Verify("x"u8, hash));
    }
}
