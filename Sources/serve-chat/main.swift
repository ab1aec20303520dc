import Foundation
import TurkTools

exit(await ServeChatCommand.main())
