import Foundation
import TurkTools

exit(await BonusWorkersCommand.main())
